/** Deterministic, stratified, grouped train/validation/test splits. */
package org.cityvision.datasets.split;
