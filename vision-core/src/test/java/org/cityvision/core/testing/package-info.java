/**
 * Test fixtures shared by every module's tests: ../shared lookup, generated images, tiny models.
 */
package org.cityvision.core.testing;
