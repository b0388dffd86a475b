/**
 * The frame pipeline shared by every CityVision process: images, models, classification, storage.
 */
package org.cityvision.core;
