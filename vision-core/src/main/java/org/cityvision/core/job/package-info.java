/** Batch jobs as the system records them. */
package org.cityvision.core.job;
