package io.crisp.plugin.faulty;

import io.crisp.spi.RuntimeBackend;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@link RuntimeBackend} method of the wrapped backend, with the fault the control file asks
 * for applied first ({@link Fault}). A proxy, so that every SPI method, defaults included, passes
 * through the same door.
 */
final class FaultyBackend implements InvocationHandler {
    private static final Logger log = LoggerFactory.getLogger(FaultyBackend.class);
    /** What {@code allocate} holds, until a call sees another mode. */
    private static final List<byte[]> HELD = new ArrayList<>();

    private final RuntimeBackend delegate;
    private final Path control;

    private FaultyBackend(RuntimeBackend delegate, Path control) {
        this.delegate = delegate;
        this.control = control;
    }

    static RuntimeBackend wrap(RuntimeBackend delegate, Path control) {
        return (RuntimeBackend) Proxy.newProxyInstance(RuntimeBackend.class.getClassLoader(), new Class<?>[] {RuntimeBackend.class},
                new FaultyBackend(delegate, control));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> "FaultyBackend(" + delegate + ")";
            };
        }
        boolean returnNull = apply(control, method.getName());
        if (returnNull && method.getReturnType() != void.class) {
            return null;
        }
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * Applies the fault for {@code method}: blocks, sleeps, allocates or throws as the file says.
     *
     * @return true when the call must answer null
     */
    static boolean apply(Path control, String method) throws InterruptedException {
        Fault fault = Fault.read(control);
        if (!fault.mode().startsWith("allocate")) {
            synchronized (HELD) {
                HELD.clear();
            }
        }
        if (!fault.appliesTo(method)) {
            return false;
        }
        log.info("faulty: {} on {}", fault.mode(), method);
        switch (fault.mode()) {
            case "hang" -> {
                while (Fault.read(control).appliesTo(method) && Fault.read(control).mode().equals("hang")) {
                    Thread.sleep(50);
                }
            }
            case "sleep" -> Thread.sleep(fault.amount());
            case "throw" -> throw new IllegalStateException("faulty: " + method + " throws as " + control + " asks");
            case "null" -> {
                return true;
            }
            case "allocate" -> {
                synchronized (HELD) {
                    for (long i = 0; i < fault.amount(); i++) {
                        HELD.add(new byte[1 << 20]);
                    }
                }
            }
            default -> throw new IllegalStateException("faulty: unknown mode '" + fault.mode() + "' in " + control);
        }
        return false;
    }
}
