/** Training-time image augmentation with OpenCV, on the decoded images serving also sees. */
package org.cityvision.datasets.augment;
