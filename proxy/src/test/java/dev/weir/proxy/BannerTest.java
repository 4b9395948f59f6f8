package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.sample.BackendSample;
import java.io.InputStream;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A backend that speaks first (SMTP, MySQL): its banner reaches the client before the client says anything. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BannerTest {

    @Test
    void bannerArrivesFirstThenTheConversationGoesOn() throws Exception {
        BackendSample smtp = BackendSample.start("mail", "127.0.0.1", 0, "220 mail.example ESMTP ready");
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + smtp.port()).start();
             Socket client = proxy.connect()) {
            InputStream in = client.getInputStream();
            assertThat(Sockets.readLine(in)).isEqualTo("220 mail.example ESMTP ready");
            assertThat(Sockets.whoami(client)).isEqualTo("mail");
            Sockets.write(client.getOutputStream(), "EHLO client\n");
            assertThat(Sockets.readLine(in)).isEqualTo("EHLO client");
        } finally {
            smtp.close();
        }
    }
}
