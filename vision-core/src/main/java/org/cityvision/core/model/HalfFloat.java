package org.cityvision.core.model;

/**
 * IEEE 754 half-precision conversion (Java 17 has no {@code Float.floatToFloat16}). Rounds to the
 * nearest half, ties to even; values beyond the half range saturate at the largest finite half
 * (65504) rather than becoming infinite, since a stored feature must stay usable.
 */
final class HalfFloat {
  private HalfFloat() {}

  static short fromFloat(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = (bits >>> 23) & 0xff;
    int mantissa = bits & 0x7fffff;
    if (exponent == 0xff) {
      // NaN stays NaN; infinity saturates like any other overflow.
      return (short) (mantissa != 0 ? sign | 0x7e00 : sign | 0x7bff);
    }
    int halfExponent = exponent - 127 + 15;
    if (halfExponent >= 0x1f) {
      return (short) (sign | 0x7bff);
    }
    if (halfExponent <= 0) {
      if (halfExponent < -10) {
        return (short) sign;
      }
      // Subnormal half: shift the mantissa (with its implicit 1) into place, rounding to even.
      int m = mantissa | 0x800000;
      int shift = 14 - halfExponent;
      int half = m >>> shift;
      int rest = m & ((1 << shift) - 1);
      int midpoint = 1 << (shift - 1);
      if (rest > midpoint || (rest == midpoint && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (halfExponent << 10) | (mantissa >>> 13);
    int rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
      half++; // a carry into the exponent is the correct rounding
    }
    if ((half & 0x7fff) >= 0x7c00) {
      return (short) (sign | 0x7bff);
    }
    return (short) (sign | half);
  }

  static float toFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0) {
      if (mantissa == 0) {
        return Float.intBitsToFloat(sign);
      }
      // Subnormal: value = mantissa * 2^-24.
      float value = mantissa * 0x1p-24f;
      return sign == 0 ? value : -value;
    }
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }
}
