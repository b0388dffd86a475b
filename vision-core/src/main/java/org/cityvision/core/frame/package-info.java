/** Frames as the system knows them: ids, records, results and uploads. */
package org.cityvision.core.frame;
