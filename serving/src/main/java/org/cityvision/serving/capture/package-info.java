/**
 * Capture: which images a sorting machine sent are kept for review ({@link
 * org.cityvision.serving.capture.CapturePolicy}), and their writes behind the answer ({@link
 * org.cityvision.serving.capture.CaptureWriter}), so that a deployment learns from the images it
 * actually sees.
 */
package org.cityvision.serving.capture;
