package org.cityvision.core.quality;

import java.util.Arrays;
import java.util.Base64;

/**
 * A frame reduced to a {@value #WIDTH}×{@value #HEIGHT} luminance thumbnail (area-averaged, so
 * sensor noise and JPEG artefacts mostly cancel): small enough to keep per camera in its health
 * record, and enough to tell whether two frames show the same view ({@link #similarity}) and
 * whether anything in that view changed ({@link #staticDifference}).
 *
 * <p>Immutable and thread-safe; the pixels are copied in and out.
 */
public final class SceneSignature {
  public static final int WIDTH = 64;
  public static final int HEIGHT = 48;

  /** Side of the square cells {@link #staticDifference} compares. */
  static final int CELL = 8;

  private final byte[] pixels;

  /** The edge map, computed on first use; a race computes it twice, with the same result. */
  private volatile float[] edges;

  /**
   * @param pixels {@value #WIDTH}×{@value #HEIGHT} luminance values, row-major
   */
  public SceneSignature(byte[] pixels) {
    if (pixels == null || pixels.length != WIDTH * HEIGHT) {
      throw new IllegalArgumentException(
          "a scene signature is "
              + WIDTH
              + "x"
              + HEIGHT
              + " = "
              + WIDTH * HEIGHT
              + " bytes, got "
              + (pixels == null ? "null" : pixels.length));
    }
    this.pixels = pixels.clone();
  }

  /** The signature written by {@link #toBase64()}. */
  public static SceneSignature ofBase64(String base64) {
    try {
      return new SceneSignature(Base64.getDecoder().decode(base64));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a base64 scene signature: " + e.getMessage(), e);
    }
  }

  public String toBase64() {
    return Base64.getEncoder().encodeToString(pixels);
  }

  public byte[] pixels() {
    return pixels.clone();
  }

  int at(int x, int y) {
    return pixels[y * WIDTH + x] & 0xff;
  }

  /** Mean luminance 0..255. */
  public double mean() {
    long sum = 0;
    for (byte p : pixels) {
      sum += p & 0xff;
    }
    return (double) sum / pixels.length;
  }

  /**
   * How well the structure of two views agrees, -1..1: the zero-mean normalised cross-correlation
   * of their (lightly smoothed) gradient-magnitude maps. Brightness, contrast, fog and noise change
   * it little; a shift of a few percent of the view, a rotation or another scene drop it sharply.
   * Two views without any structure (uniform) count as agreeing.
   */
  public double similarity(SceneSignature other) {
    float[] a = edges();
    float[] b = other.edges();
    double ma = 0;
    double mb = 0;
    for (int i = 0; i < a.length; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= a.length;
    mb /= b.length;
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      double da = a[i] - ma;
      double db = b[i] - mb;
      ab += da * db;
      aa += da * da;
      bb += db * db;
    }
    if (aa < 1e-6 || bb < 1e-6) {
      return aa < 1e-6 && bb < 1e-6 ? 1.0 : 0.0;
    }
    return ab / Math.sqrt(aa * bb);
  }

  /**
   * How much the content changed, in grey levels: the largest mean absolute difference over {@value
   * #CELL}×{@value #CELL} cells after the earlier view's brightness and contrast are matched to
   * this one's. A global light change costs nothing; an object that appears in one cell does.
   */
  public double staticDifference(SceneSignature earlier) {
    double ma = mean();
    double mb = earlier.mean();
    double va = 0;
    double vb = 0;
    for (int i = 0; i < pixels.length; i++) {
      double da = (pixels[i] & 0xff) - ma;
      double db = (earlier.pixels[i] & 0xff) - mb;
      va += da * da;
      vb += db * db;
    }
    double gain = vb < 1e-6 ? 1.0 : Math.sqrt(va / vb);
    double worst = 0;
    for (int cy = 0; cy < HEIGHT; cy += CELL) {
      for (int cx = 0; cx < WIDTH; cx += CELL) {
        double sum = 0;
        for (int y = cy; y < cy + CELL; y++) {
          for (int x = cx; x < cx + CELL; x++) {
            double predicted = (earlier.at(x, y) - mb) * gain + ma;
            sum += Math.abs(at(x, y) - predicted);
          }
        }
        worst = Math.max(worst, sum / (CELL * CELL));
      }
    }
    return worst;
  }

  /**
   * How many of the view's four quadrants show the reference's structure displaced by at least
   * {@value #MIN_SHIFT} pixels of {@value #WIDTH} (3% of the view): for each quadrant, the shift up
   * to ±{@value #MAX_SHIFT_X}×±{@value #MAX_SHIFT_Y} that best aligns the edge maps, counted when
   * it matches well and clearly better than no shift. A knocked camera shifts every quadrant (a
   * rotation or zoom shifts them in different directions); an object in the view shifts none.
   */
  public int shiftedQuadrants(SceneSignature reference) {
    float[] ref = reference.edges();
    float[] cur = edges();
    int count = 0;
    for (int qy = 0; qy < 2; qy++) {
      for (int qx = 0; qx < 2; qx++) {
        int x0 = qx * WIDTH / 2;
        int y0 = qy * HEIGHT / 2;
        double zero = zncc(ref, cur, x0, y0, 0, 0);
        double best = zero;
        int bx = 0;
        int by = 0;
        for (int dy = -MAX_SHIFT_Y; dy <= MAX_SHIFT_Y; dy += 2) {
          for (int dx = -MAX_SHIFT_X; dx <= MAX_SHIFT_X; dx += 2) {
            double s = zncc(ref, cur, x0, y0, dx, dy);
            if (s > best) {
              best = s;
              bx = dx;
              by = dy;
            }
          }
        }
        int cx = bx;
        int cy = by;
        for (int dy = cy - 1; dy <= cy + 1; dy++) {
          for (int dx = cx - 1; dx <= cx + 1; dx++) {
            if ((dx != cx || dy != cy)
                && Math.abs(dx) <= MAX_SHIFT_X
                && Math.abs(dy) <= MAX_SHIFT_Y) {
              double s = zncc(ref, cur, x0, y0, dx, dy);
              if (s > best) {
                best = s;
                bx = dx;
                by = dy;
              }
            }
          }
        }
        if (Math.max(Math.abs(bx), Math.abs(by)) >= MIN_SHIFT
            && best >= 0.5
            && best - zero >= 0.15) {
          count++;
        }
      }
    }
    return count;
  }

  private static final int MIN_SHIFT = 2;
  private static final int MAX_SHIFT_X = 10;
  private static final int MAX_SHIFT_Y = 6;

  /**
   * ZNCC of a quadrant of {@code ref} with {@code cur} displaced by (dx, dy), over the pixels both
   * cover.
   */
  private static double zncc(float[] ref, float[] cur, int x0, int y0, int dx, int dy) {
    int xa = Math.max(Math.max(x0, 1), 1 - dx);
    int xb = Math.min(Math.min(x0 + WIDTH / 2, WIDTH - 1), WIDTH - 1 - dx);
    int ya = Math.max(Math.max(y0, 1), 1 - dy);
    int yb = Math.min(Math.min(y0 + HEIGHT / 2, HEIGHT - 1), HEIGHT - 1 - dy);
    int n = (xb - xa) * (yb - ya);
    if (xb <= xa || yb <= ya || n < 64) {
      return -1;
    }
    double sa = 0;
    double sb = 0;
    double saa = 0;
    double sbb = 0;
    double sab = 0;
    for (int y = ya; y < yb; y++) {
      int r = y * WIDTH;
      int c = (y + dy) * WIDTH + dx;
      for (int x = xa; x < xb; x++) {
        double a = ref[r + x];
        double b = cur[c + x];
        sa += a;
        sb += b;
        saa += a * a;
        sbb += b * b;
        sab += a * b;
      }
    }
    double va = saa - sa * sa / n;
    double vb = sbb - sb * sb / n;
    if (va < 1e-6 || vb < 1e-6) {
      return -1;
    }
    return (sab - sa * sb / n) / Math.sqrt(va * vb);
  }

  /**
   * Gradient magnitude (central differences), smoothed with a 3×3 box so sub-pixel jitter matters
   * little.
   */
  private float[] edges() {
    float[] cached = edges;
    if (cached == null) {
      cached = computeEdges();
      edges = cached;
    }
    return cached;
  }

  private float[] computeEdges() {
    float[] g = new float[WIDTH * HEIGHT];
    for (int y = 1; y < HEIGHT - 1; y++) {
      for (int x = 1; x < WIDTH - 1; x++) {
        int gx = at(x + 1, y) - at(x - 1, y);
        int gy = at(x, y + 1) - at(x, y - 1);
        g[y * WIDTH + x] = (float) Math.sqrt(gx * gx + gy * gy);
      }
    }
    float[] s = new float[WIDTH * HEIGHT];
    for (int y = 1; y < HEIGHT - 1; y++) {
      for (int x = 1; x < WIDTH - 1; x++) {
        float sum = 0;
        for (int dy = -1; dy <= 1; dy++) {
          int row = (y + dy) * WIDTH;
          sum += g[row + x - 1] + g[row + x] + g[row + x + 1];
        }
        s[y * WIDTH + x] = sum / 9;
      }
    }
    return s;
  }

  /**
   * Blends this view towards {@code other} by {@code weight} (0..1): how a reference follows slow
   * drift.
   */
  public SceneSignature blend(SceneSignature other, double weight) {
    if (!(weight >= 0 && weight <= 1)) {
      throw new IllegalArgumentException("blend weight must be 0..1, got " + weight);
    }
    byte[] out = new byte[pixels.length];
    for (int i = 0; i < out.length; i++) {
      out[i] =
          (byte) Math.round((pixels[i] & 0xff) * (1 - weight) + (other.pixels[i] & 0xff) * weight);
    }
    return new SceneSignature(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SceneSignature s && Arrays.equals(pixels, s.pixels);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(pixels);
  }

  @Override
  public String toString() {
    return "SceneSignature[mean=" + Math.round(mean()) + "]";
  }
}
