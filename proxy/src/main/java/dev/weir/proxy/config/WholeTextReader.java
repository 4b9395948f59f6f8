package dev.weir.proxy.config;

import java.io.StringReader;
import java.util.Arrays;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.scanner.Constant;
import org.yaml.snakeyaml.scanner.ScannerException;

/**
 * SnakeYAML's reader for a text held whole, in time linear in its length: the same positions, line and column
 * counting as {@link StreamReader}, which also refuses non-printable characters. SnakeYAML's own reader takes 1 KiB at a
 * time and copies the part still ahead of the scanner on every read, so a line of n characters (a comment, a
 * scalar, a flow list) costs about n²/2048 copies: 5 s and 750 MB for 3 MiB on one line.
 *
 * <p>Every method the scanner calls is overridden, so the superclass only ever holds an empty input. Thread rule: one
 * parse, on the thread that parses.
 */
final class WholeTextReader extends StreamReader {

    private static final String NAME = "'reader'";

    private final int[] text; // code points
    private int pointer;
    private int documentIndex;
    private int line;
    private int column;
    private Mark mark;

    /** Throws a {@link ScannerException} at the first character YAML does not allow (SnakeYAML's says not where). */
    WholeTextReader(String yaml) {
        super(new StringReader(""));
        this.text = codePoints(yaml);
        for (int i = 0; i < text.length; i++) {
            int c = text[i];
            // Printable ASCII, tab and line breaks without a call: most of any config.
            if (!(c >= ' ' && c < 0x7f || c == '\n' || c == '\t' || c == '\r') && !isPrintable(c)) {
                forward(i);
                throw new ScannerException(null, null, String.format("character U+%04X (expected: printable text;"
                        + " YAML takes no control character but tab and line breaks)", c), getMark());
            }
        }
    }

    private static int[] codePoints(String yaml) {
        int[] points = new int[yaml.length()];
        int n = 0;
        for (int i = 0; i < yaml.length(); n++) {
            char c = yaml.charAt(i);
            int point = Character.isHighSurrogate(c) ? yaml.codePointAt(i) : c;
            points[n] = point;
            i += Character.charCount(point);
        }
        return n == points.length ? points : Arrays.copyOf(points, n);
    }

    @Override
    public Mark getMark() {
        // The scanner asks several times at one place (a token's start, a possible simple key): marks are immutable.
        if (mark == null || mark.getIndex() != pointer) {
            mark = new Mark(NAME, pointer, line, column, text, pointer);
        }
        return mark;
    }

    @Override
    public void forward() {
        forward(1);
    }

    @Override
    public void forward(int length) {
        for (int i = 0; i < length && pointer < text.length; i++) {
            int c = text[pointer++];
            documentIndex++;
            if (Constant.LINEBR.has(c) || c == '\r' && pointer < text.length && text[pointer] != '\n') {
                line++;
                column = 0;
            } else if (c != 0xFEFF) {
                column++;
            }
        }
    }

    @Override
    public int peek() {
        return peek(0);
    }

    @Override
    public int peek(int index) {
        int at = pointer + index;
        return at < text.length ? text[at] : '\0';
    }

    @Override
    public String prefix(int length) {
        return length == 0 ? "" : new String(text, pointer, Math.max(0, Math.min(length, text.length - pointer)));
    }

    /** As SnakeYAML's: the scanner calls it only for text without line breaks. */
    @Override
    public String prefixForward(int length) {
        String prefix = prefix(length);
        pointer += length;
        documentIndex += length;
        column += length;
        return prefix;
    }

    @Override
    public int getColumn() {
        return column;
    }

    @Override
    public int getDocumentIndex() {
        return documentIndex;
    }

    @Override
    public void resetDocumentIndex() {
        documentIndex = 0;
    }

    @Override
    public int getIndex() {
        return pointer;
    }

    @Override
    public int getLine() {
        return line;
    }
}
