package io.crisp.core.network.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendException;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The capability arguments of CONVENTIONS.md ({@code portMappings}, {@code bandwidth}, {@code ipRanges},
 * {@code dns}) built from a pod request, and the subset a plugin declares in its {@code capabilities}.
 */
public final class RuntimeConfigs {
    public static final String INGRESS_ANNOTATION = "kubernetes.io/ingress-bandwidth";
    public static final String EGRESS_ANNOTATION = "kubernetes.io/egress-bandwidth";

    private RuntimeConfigs() {}

    /**
     * Every capability argument the request can fill; empty ones are left out. Container ports without
     * a host port (hostPort 0) are not mappings: portmap refuses them, on DEL too.
     */
    public static ObjectNode capabilityArgs(PodNetworkRequest request) {
        ObjectNode args = CniConfig.JSON.createObjectNode();
        List<PortMapping> published = request.portMappings().stream().filter(m -> m.hostPort() > 0).toList();
        if (!published.isEmpty()) {
            ArrayNode ports = args.putArray("portMappings");
            for (PortMapping mapping : published) {
                ObjectNode port = ports.addObject();
                port.put("hostPort", mapping.hostPort());
                port.put("containerPort", mapping.containerPort());
                port.put("protocol", mapping.protocol().toLowerCase(java.util.Locale.ROOT));
                if (!mapping.hostIp().isEmpty()) {
                    port.put("hostIP", mapping.hostIp());
                }
            }
        }
        ObjectNode bandwidth = bandwidth(request.podAnnotations());
        if (!bandwidth.isEmpty()) {
            args.set("bandwidth", bandwidth);
        }
        if (!request.podCidr().isEmpty()) {
            args.putArray("ipRanges").addArray().addObject().put("subnet", request.podCidr());
        }
        if (!request.dnsServers().isEmpty() || !request.dnsSearches().isEmpty() || !request.dnsOptions().isEmpty()) {
            ObjectNode dns = args.putObject("dns");
            request.dnsServers().forEach(dns.putArray("servers")::add);
            request.dnsSearches().forEach(dns.putArray("searches")::add);
            request.dnsOptions().forEach(dns.putArray("options")::add);
        }
        return args;
    }

    /** The runtimeConfig of one plugin: the capability arguments it declares with {@code true}. */
    public static ObjectNode forPlugin(ObjectNode plugin, ObjectNode capabilityArgs) {
        ObjectNode runtimeConfig = CniConfig.JSON.createObjectNode();
        JsonNode capabilities = plugin.get("capabilities");
        if (capabilities == null || !capabilities.isObject() || capabilityArgs == null) {
            return runtimeConfig;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = capabilities.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> capability = it.next();
            if (capability.getValue().asBoolean(false) && capabilityArgs.has(capability.getKey())) {
                runtimeConfig.set(capability.getKey(), capabilityArgs.get(capability.getKey()).deepCopy());
            }
        }
        return runtimeConfig;
    }

    /** The bandwidth capability from the pod's annotations, rates in bits per second, burst equal to the rate. */
    static ObjectNode bandwidth(Map<String, String> annotations) {
        ObjectNode bandwidth = CniConfig.JSON.createObjectNode();
        for (String direction : List.of("ingress", "egress")) {
            String annotation = direction.equals("ingress") ? INGRESS_ANNOTATION : EGRESS_ANNOTATION;
            String value = annotations.get(annotation);
            if (value == null || value.isBlank()) {
                continue;
            }
            long rate;
            try {
                rate = parseQuantity(value.strip());
            } catch (IllegalArgumentException e) {
                throw BackendException.invalidArgument("pod annotation %s: %s", annotation, e.getMessage());
            }
            if (rate <= 0) {
                throw BackendException.invalidArgument("pod annotation %s: %s is not a positive rate", annotation, value);
            }
            bandwidth.put(direction + "Rate", rate);
            bandwidth.put(direction + "Burst", rate);
        }
        return bandwidth;
    }

    /**
     * A Kubernetes resource quantity ("10M", "1Gi", "500k", "1.5M", "1e6", "2500m") as a whole number,
     * rounded up as Kubernetes does.
     */
    public static long parseQuantity(String quantity) {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("([+]?[0-9]+(?:\\.[0-9]*)?|[+]?\\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?")
                .matcher(quantity);
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + quantity + "\" is not a quantity (like 10M or 1Gi)");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String suffix = m.group(2) == null ? "" : m.group(2);
        BigDecimal value;
        if (suffix.startsWith("e") || suffix.startsWith("E") && suffix.length() > 1) {
            value = number.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1)));
        } else {
            value = switch (suffix) {
                case "" -> number;
                case "m" -> number.scaleByPowerOfTen(-3);
                case "k" -> number.scaleByPowerOfTen(3);
                case "M" -> number.scaleByPowerOfTen(6);
                case "G" -> number.scaleByPowerOfTen(9);
                case "T" -> number.scaleByPowerOfTen(12);
                case "P" -> number.scaleByPowerOfTen(15);
                case "E" -> number.scaleByPowerOfTen(18);
                default -> number.multiply(BigDecimal.valueOf(2).pow(10 * (1 + "KMGTPE".indexOf(suffix.charAt(0)))));
            };
        }
        try {
            return value.setScale(0, java.math.RoundingMode.CEILING).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("\"" + quantity + "\" is too large");
        }
    }
}
