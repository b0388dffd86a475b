/** ImageFolder datasets (one folder per class) and their {@code manifest.csv}. */
package org.cityvision.datasets.folder;
