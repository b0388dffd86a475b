/** Cameras as the product names them: the camera id rule. */
package org.cityvision.core.camera;
