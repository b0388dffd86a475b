package org.cityvision.core.digest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 and its lower-case hex form: object checksums, hashed API keys, content ids, the salted
 * numbers that sample frames and split verdicts stably. Text is hashed as UTF-8.
 *
 * <p>Stateless and thread-safe; a {@link MessageDigest} from {@link #newDigest} belongs to one
 * thread.
 */
public final class Sha256 {
  private static final HexFormat HEX = HexFormat.of();

  private Sha256() {}

  /** A fresh digest, for hashing in parts. */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The 32-byte digest of {@code bytes}. */
  public static byte[] of(byte[] bytes) {
    return newDigest().digest(bytes);
  }

  /** The 32-byte digest of {@code text} in UTF-8. */
  public static byte[] of(String text) {
    return of(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Lower-case hex (64 characters) of the digest of {@code bytes}. */
  public static String hex(byte[] bytes) {
    return HEX.formatHex(of(bytes));
  }

  /** Lower-case hex of the digest of {@code text} in UTF-8. */
  public static String hex(String text) {
    return HEX.formatHex(of(text));
  }

  /** Lower-case hex of a digest finished by the caller. */
  public static String hex(MessageDigest digest) {
    return HEX.formatHex(digest.digest());
  }

  /** Lower-case hex of the digest of a file's content, read in 64 KiB pieces. */
  public static String hex(Path file) throws IOException {
    MessageDigest digest = newDigest();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[64 * 1024];
      for (int r; (r = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, r);
      }
    }
    return hex(digest);
  }
}
