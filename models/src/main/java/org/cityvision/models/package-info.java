/**
 * The project's own models: where the shipped packages live, how they are trained and evaluated.
 */
package org.cityvision.models;
