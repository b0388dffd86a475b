/**
 * The batch job on Apache Spark: the same per-frame step as {@code cityvision batch}, partitioned
 * by key ranges.
 */
package org.cityvision.spark;
