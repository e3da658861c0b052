package io.crisp.plugin.kit.seccomp;

import io.crisp.spi.BackendException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A classic BPF program under construction: instructions whose conditional jumps name labels,
 * resolved to the 8-bit forward offsets cBPF has when the program is encoded.
 */
final class BpfProgram {
    /** The kernel's limit on a filter's length (BPF_MAXINSNS). */
    static final int MAX_INSNS = 4096;

    static final int LD_W_ABS = 0x20;
    static final int ALU_AND_K = 0x54;
    static final int JEQ_K = 0x15;
    static final int JGT_K = 0x25;
    static final int JGE_K = 0x35;
    static final int RET_K = 0x06;

    /** Jump target "the next instruction". */
    static final String NEXT = "";

    private record Insn(int code, String jt, String jf, int k) {}

    private final List<Insn> insns = new ArrayList<>();
    private final Map<String, Integer> labels = new HashMap<>();
    private int nextLabel;

    /** A fresh label name, placed later with {@link #place}. */
    String label() {
        return "L" + nextLabel++;
    }

    void place(String label) {
        labels.put(label, insns.size());
    }

    BpfProgram load(int offset) {
        insns.add(new Insn(LD_W_ABS, NEXT, NEXT, offset));
        return this;
    }

    BpfProgram and(int mask) {
        insns.add(new Insn(ALU_AND_K, NEXT, NEXT, mask));
        return this;
    }

    BpfProgram jump(int op, int k, String jt, String jf) {
        insns.add(new Insn(op, jt, jf, k));
        return this;
    }

    BpfProgram ret(int value) {
        insns.add(new Insn(RET_K, NEXT, NEXT, value));
        return this;
    }

    int size() {
        return insns.size();
    }

    /** struct sock_filter entries: u16 code, u8 jt, u8 jf, u32 k, little endian. */
    byte[] encode() {
        if (insns.size() > MAX_INSNS) {
            throw BackendException.invalidArgument("linux.seccomp: the profile compiles to %d BPF instructions, more than"
                    + " the kernel's %d", insns.size(), MAX_INSNS);
        }
        ByteBuffer out = ByteBuffer.allocate(insns.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < insns.size(); i++) {
            Insn insn = insns.get(i);
            out.putShort((short) insn.code());
            out.put((byte) offset(i, insn.jt()));
            out.put((byte) offset(i, insn.jf()));
            out.putInt(insn.k());
        }
        return out.array();
    }

    private int offset(int at, String label) {
        if (label.equals(NEXT)) {
            return 0;
        }
        Integer target = labels.get(label);
        if (target == null) {
            throw new IllegalStateException("BPF label " + label + " was never placed");
        }
        int off = target - at - 1;
        if (off < 0 || off > 255) {
            throw new IllegalStateException("BPF jump from " + at + " to " + target + " does not fit 8 bits");
        }
        return off;
    }
}
