/** Image datasets for training and evaluation: reading, splitting and augmenting. */
package org.cityvision.datasets;
