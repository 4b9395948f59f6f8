package dev.weir.proxy.backend;

/** What real traffic tells about a backend: feeds passive ejection. Called on any event loop. */
public interface ConnectFeedback {

    ConnectFeedback NONE = new ConnectFeedback() {
        @Override
        public void connectFailed(Backend b, String cause) {
        }

        @Override
        public void connectSucceeded(Backend b) {
        }
    };

    void connectFailed(Backend b, String cause);

    void connectSucceeded(Backend b);
}
