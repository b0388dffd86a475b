/** Fixtures of the serving tests: model packages, server configurations, a blocking HTTP client. */
package org.cityvision.serving.testing;
