package dev.weir.sample;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Splits input at every position the network could, which real sockets cannot be made to do. */
@Timeout(30)
@ExtendWith(LeakCheck.class)
class WhoamiEchoHandlerTest {

    private static final byte[] ANSWER = "alpha\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void everyTwoWaySplitGivesTheSameOutput() {
        String input = "a\nwhoami\r\nwhoami\nwhoami-not\nb\r\nwhoami";
        String expected = "a\nalpha\nalpha\nwhoami-not\nb\r\n";
        for (int i = 0; i <= input.length(); i++) {
            for (int j = i; j <= input.length(); j++) {
                assertThat(feed(input.substring(0, i), input.substring(i, j), input.substring(j)))
                        .as("split at %d and %d", i, j)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void oneByteAtATime() {
        String input = "whoami\r\nwhoami\nwhoam\nwhoami\r\rwhoami\n\nwhoami\n";
        assertThat(feed(input.split(""))).isEqualTo("alpha\nalpha\nwhoam\nwhoami\r\rwhoami\n\nalpha\n");
    }

    @Test
    void randomInputInRandomPiecesMatchesALineByLineReading() {
        Random random = new Random(1);
        String[] tokens = {"whoami\n", "whoami\r\n", "whoami", "who", "ami", "\r", "\n", "x", "whoami-not\n", "é"};
        for (int round = 0; round < 500; round++) {
            StringBuilder input = new StringBuilder();
            for (int t = random.nextInt(30); t >= 0; t--) {
                input.append(tokens[random.nextInt(tokens.length)]);
            }
            input.append('x'); // ends on a byte that cannot start a whoami line, so nothing stays held
            byte[] bytes = input.toString().getBytes(StandardCharsets.UTF_8);
            assertThat(feed(randomPieces(bytes, random)))
                    .as("input %s", input.toString().replace("\r", "\\r").replace("\n", "\\n"))
                    .isEqualTo(lineByLine(input.toString()));
        }
    }

    private static String lineByLine(String input) {
        StringBuilder out = new StringBuilder();
        for (String line : input.split("(?<=\n)")) {
            out.append(line.equals("whoami\n") || line.equals("whoami\r\n") ? "alpha\n" : line);
        }
        return out.toString();
    }

    private static byte[][] randomPieces(byte[] bytes, Random random) {
        int count = 1 + random.nextInt(Math.min(bytes.length, 8));
        byte[][] pieces = new byte[count][];
        int from = 0;
        for (int p = 0; p < count; p++) {
            int to = p == count - 1 ? bytes.length : from + random.nextInt(bytes.length - from + 1);
            pieces[p] = java.util.Arrays.copyOfRange(bytes, from, to);
            from = to;
        }
        return pieces;
    }

    private static String feed(String... pieces) {
        byte[][] bytes = new byte[pieces.length][];
        for (int i = 0; i < pieces.length; i++) {
            bytes[i] = pieces[i].getBytes(StandardCharsets.UTF_8);
        }
        return feed(bytes);
    }

    private static String feed(byte[]... pieces) {
        EmbeddedChannel channel = new EmbeddedChannel(new WhoamiEchoHandler(ANSWER, null));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (byte[] piece : pieces) {
                channel.writeInbound(Unpooled.wrappedBuffer(piece));
                drain(channel, out);
            }
        } finally {
            channel.finishAndReleaseAll();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void drain(EmbeddedChannel channel, ByteArrayOutputStream out) {
        for (ByteBuf buf; (buf = channel.readOutbound()) != null; ) {
            try {
                byte[] bytes = new byte[buf.readableBytes()];
                buf.readBytes(bytes);
                out.writeBytes(bytes);
            } finally {
                buf.release();
            }
        }
    }

    @Test
    void stopsReadingWhileTheEchoCannotBeWritten() {
        EmbeddedChannel channel = new EmbeddedChannel(new WhoamiEchoHandler(ANSWER, null));
        try {
            channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
            channel.pipeline().fireChannelRead(Unpooled.wrappedBuffer(new byte[32])); // echoed, not yet flushed
            channel.runPendingTasks();
            assertThat(channel.isWritable()).isFalse();
            assertThat(channel.config().isAutoRead()).isFalse();

            channel.pipeline().fireChannelReadComplete(); // flushes
            channel.runPendingTasks();
            assertThat(channel.isWritable()).isTrue();
            assertThat(channel.config().isAutoRead()).isTrue();
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void sendsTheBannerOnConnect() {
        EmbeddedChannel channel = new EmbeddedChannel(
                new WhoamiEchoHandler(ANSWER, "220 ready\n".getBytes(StandardCharsets.UTF_8)));
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            drain(channel, out);
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("220 ready\n");
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
