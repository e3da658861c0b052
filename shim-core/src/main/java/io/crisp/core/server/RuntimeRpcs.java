package io.crisp.core.server;

import io.grpc.ServerMethodDefinition;
import java.util.List;

/**
 * One concern's share of the CRI {@code RuntimeService}: the methods it binds, each
 * {@code convert request -> one core call -> convert response} through {@link Rpc#unary}.
 * {@link RuntimeServiceImpl} puts the shares together.
 */
public interface RuntimeRpcs {
    List<ServerMethodDefinition<?, ?>> methods();
}
