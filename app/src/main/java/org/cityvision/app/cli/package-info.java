/** The {@code cityvision} command line: one picocli subcommand per verb. */
package org.cityvision.app.cli;
