package io.crisp.spi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a part of the plugin contract that is not exercised end to end yet and may still change
 * in a minor SPI version. Plugins may implement it; they should expect to revisit it.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface Experimental {
    /** The issue or release expected to settle this part. */
    String settledBy() default "";
}
