package io.crisp.plugin.kata.spec;

import java.math.BigDecimal;
import java.math.BigInteger;

/** Turns a number literal (already checked against the JSON grammar) into the value that keeps it exactly. */
final class JsonNumbers {
    /** Up to 18 digits (and a sign) always fit in a long. */
    private static final int SURELY_LONG_LENGTH = 18;

    private JsonNumbers() {
    }

    /** A literal without fraction or exponent: Long when it fits, else BigInteger. */
    static Number integer(String literal) {
        if (literal.length() <= SURELY_LONG_LENGTH) {
            return Long.parseLong(literal);
        }
        BigInteger big = new BigInteger(literal);
        return big.bitLength() < Long.SIZE ? (Number) big.longValue() : big;
    }

    /**
     * A literal with fraction or exponent: Double when the double's own decimal form has the literal's
     * exact value (so writing it back changes nothing but notation), else BigDecimal.
     *
     * @throws NumberFormatException if the exponent is beyond what BigDecimal holds
     */
    static Number decimal(String literal) {
        BigDecimal exact = new BigDecimal(literal);
        double d = Double.parseDouble(literal);
        if (Double.isFinite(d) && new BigDecimal(Double.toString(d)).compareTo(exact) == 0) {
            return d;
        }
        return exact;
    }
}
