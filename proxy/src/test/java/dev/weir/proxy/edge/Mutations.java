package dev.weir.proxy.edge;

import static dev.weir.proxy.edge.EdgeSupport.concat;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Random edits of a valid protocol message, for the fuzz tests: bit flips, byte and 16-bit writes,
 * deletions, insertions and truncation anywhere, plus writes to the message's known fields (its
 * lengths, version and type bytes), which reach deeper than blind edits do.
 */
final class Mutations {

    private Mutations() {
    }

    /** A field of a message: {@code width} bytes (1 or 2, big-endian) at {@code offset}. */
    record Field(int offset, int width) {
    }

    enum Kind { FLIP_BIT, SET_BYTE, SET_SHORT, DELETE, INSERT, TRUNCATE, SET_FIELD }

    /** One edit: its kind, where (a fraction of the message's length), and a value 0..65535. */
    record Mutation(Kind kind, double where, int value) {
    }

    static Arbitrary<List<Mutation>> mutations() {
        return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.doubles().between(0, 1),
                        Arbitraries.integers().between(0, 65535))
                .as(Mutation::new).list().ofMinSize(1).ofMaxSize(4);
    }

    /** Applies {@code mutations} in order; SET_FIELD picks one of {@code fields} that the message still holds. */
    static byte[] apply(byte[] message, List<Mutation> mutations, List<Field> fields) {
        byte[] m = message.clone();
        for (Mutation mu : mutations) {
            if (m.length == 0) {
                break;
            }
            int at = Math.min(m.length - 1, (int) (mu.where() * m.length));
            int v = mu.value();
            switch (mu.kind()) {
                case FLIP_BIT -> m[at] ^= (byte) (1 << (v & 7));
                case SET_BYTE -> m[at] = (byte) v;
                case SET_SHORT -> {
                    m[at] = (byte) (v >> 8);
                    if (at + 1 < m.length) {
                        m[at + 1] = (byte) v;
                    }
                }
                case DELETE -> m = concat(Arrays.copyOfRange(m, 0, at), Arrays.copyOfRange(m, at + 1, m.length));
                case INSERT -> m = concat(Arrays.copyOfRange(m, 0, at), new byte[] {(byte) v},
                        Arrays.copyOfRange(m, at, m.length));
                case TRUNCATE -> m = Arrays.copyOfRange(m, 0, at);
                case SET_FIELD -> {
                    if (!fields.isEmpty()) {
                        Field f = fields.get((int) (mu.where() * fields.size()) % fields.size());
                        if (f.offset() + f.width() <= m.length) {
                            if (f.width() == 2) {
                                m[f.offset()] = (byte) (v >> 8);
                                m[f.offset() + 1] = (byte) v;
                            } else {
                                m[f.offset()] = (byte) v;
                            }
                        }
                    }
                }
                default -> throw new IllegalStateException(mu.kind().toString());
            }
        }
        return m;
    }
}
