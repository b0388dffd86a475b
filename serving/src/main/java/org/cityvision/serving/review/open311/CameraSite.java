package org.cityvision.serving.review.open311;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where a camera stands, for the location of the service requests it causes.
 *
 * @param lat WGS84 latitude
 * @param longitude WGS84 longitude ({@code "long"} in configuration, as in GeoReport)
 * @param name a place description sent as {@code address_string}, or {@code null}
 */
public record CameraSite(double lat, @JsonProperty("long") double longitude, String name) {
  public CameraSite {
    if (!(lat >= -90 && lat <= 90)) {
      throw new IllegalArgumentException("camera lat must be in -90..90, got " + lat);
    }
    if (!(longitude >= -180 && longitude <= 180)) {
      throw new IllegalArgumentException("camera long must be in -180..180, got " + longitude);
    }
    if (name != null && name.length() > 200) {
      throw new IllegalArgumentException("camera name must be at most 200 characters");
    }
  }
}
