package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.control.Weir;
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
        try (Weir weir = Harness.start(Harness.config("auto", "", "", "127.0.0.1:" + smtp.port()));
             Socket client = Harness.connect(weir)) {
            InputStream in = client.getInputStream();
            assertThat(Harness.readLine(in)).isEqualTo("220 mail.example ESMTP ready");
            assertThat(Harness.whoami(client)).isEqualTo("mail");
            Harness.write(client.getOutputStream(), "EHLO client\n");
            assertThat(Harness.readLine(in)).isEqualTo("EHLO client");
        } finally {
            smtp.close();
        }
    }
}
