/** Benchmarks that print tables: each compares against a baseline measured in the same run. */
package org.cityvision.app.bench;
