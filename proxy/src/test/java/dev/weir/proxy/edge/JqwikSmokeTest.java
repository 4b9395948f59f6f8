package dev.weir.proxy.edge;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class JqwikSmokeTest {
    @Property(tries = 10)
    boolean smoke(@ForAll int x) {
        return x == x;
    }
}
