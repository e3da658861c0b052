package io.crisp.core.testing;

import io.crisp.spi.RuntimeBackend;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/** What the core's wrappers around a plugin's backend must do, checked alike for each. */
public final class BackendWrappers {
    private BackendWrappers() {}

    /**
     * The {@link RuntimeBackend} methods {@code wrapper} does not declare itself. A method added to
     * the SPI later must go through each wrapper too, or the SPI's default would answer in the
     * plugin's place.
     */
    public static List<String> notForwardedBy(Class<? extends RuntimeBackend> wrapper) {
        List<String> missing = new ArrayList<>();
        for (Method m : RuntimeBackend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            try {
                wrapper.getDeclaredMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                missing.add(m.getName());
            }
        }
        return missing;
    }
}
