/** JSON log lines on stderr, written off the event loop by one writer thread. */
package org.cityvision.serving.log;
