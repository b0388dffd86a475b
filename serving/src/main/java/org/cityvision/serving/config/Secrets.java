package org.cityvision.serving.config;

import java.util.Map;

/**
 * Secrets, read from the environment only (never from the configuration file); {@link #toString}
 * never shows them.
 *
 * @param adminKey {@code CITYVISION_ADMIN_KEY}: the bootstrap admin key, or {@code null}
 * @param s3AccessKey {@code CITYVISION_S3_ACCESS_KEY}
 * @param s3SecretKey {@code CITYVISION_S3_SECRET_KEY}
 */
public record Secrets(String adminKey, String s3AccessKey, String s3SecretKey) {
  public static final Secrets NONE = new Secrets(null, null, null);

  public Secrets {
    adminKey = blankToNull(adminKey);
    s3AccessKey = blankToNull(s3AccessKey);
    s3SecretKey = blankToNull(s3SecretKey);
    if (adminKey != null
        && (adminKey.length() < 16
            || adminKey.length() > 256
            || !adminKey.matches("[\\x21-\\x7e]+"))) {
      throw new IllegalArgumentException(
          "CITYVISION_ADMIN_KEY must be 16-256 printable ASCII characters without spaces");
    }
  }

  public static Secrets fromEnvironment(Map<String, String> env) {
    return new Secrets(
        env.get("CITYVISION_ADMIN_KEY"),
        env.get("CITYVISION_S3_ACCESS_KEY"),
        env.get("CITYVISION_S3_SECRET_KEY"));
  }

  public Secrets withAdminKey(String key) {
    return new Secrets(key, s3AccessKey, s3SecretKey);
  }

  public Secrets withS3Keys(String accessKey, String secretKey) {
    return new Secrets(adminKey, accessKey, secretKey);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  @Override
  public String toString() {
    return "Secrets[adminKey="
        + mask(adminKey)
        + ", s3AccessKey="
        + mask(s3AccessKey)
        + ", s3SecretKey="
        + mask(s3SecretKey)
        + "]";
  }

  private static String mask(String s) {
    return s == null ? "unset" : "***";
  }
}
