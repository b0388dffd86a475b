/**
 * Identifying, validating and decoding images with OpenCV, and turning them into model input
 * tensors.
 */
package org.cityvision.core.image;
