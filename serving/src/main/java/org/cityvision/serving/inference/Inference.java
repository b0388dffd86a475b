package org.cityvision.serving.inference;

import org.cityvision.core.classify.Classification;
import org.cityvision.core.image.ImageHeader;

/**
 * One image classified by a served model.
 *
 * @param header what the image's header says (format, size)
 * @param thumbnail a JPEG thumbnail when one was asked for, else {@code null}
 * @param decodeNanos decoding and preprocessing, on a decode thread
 * @param queueNanos waiting for an inference worker
 * @param inferenceNanos the forward pass divided by the batch size
 */
public record Inference(
    ServedModel model,
    Classification classification,
    ImageHeader header,
    byte[] thumbnail,
    long decodeNanos,
    long queueNanos,
    long inferenceNanos) {}
