/** Open311 (GeoReport v2) export: confirmed issues become service requests of the city's system. */
package org.cityvision.serving.review.open311;
