package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;

/**
 * ip-hash over every member of a pool, whatever its state: a Maglev table built for the members and their weights,
 * whose picks walk past backends that are not UP (see {@link NotUpOrTried}). A state change (UP, DOWN, DRAINING,
 * DISABLED) therefore needs no new table: {@link #reuseOrBuild} hands the same one back until a member joins or
 * leaves or a weight changes. Immutable once built, so any thread may pick; weights are compared as they were read
 * when the table was built.
 */
final class MemberTable implements Balancer {

    private final List<Backend> members;
    private final int[] weights;
    private final Maglev table;

    private MemberTable(List<Backend> members) {
        this.members = List.copyOf(members);
        this.weights = new int[this.members.size()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = this.members.get(i).weight();
        }
        this.table = new Maglev(this.members);
    }

    /** {@code previous} when it was built for these very members (in order) with their current weights. */
    static MemberTable reuseOrBuild(Balancer previous, List<Backend> members) {
        if (previous instanceof MemberTable t && t.builtFor(members)) {
            return t;
        }
        return new MemberTable(members);
    }

    private boolean builtFor(List<Backend> now) {
        if (now.size() != members.size()) {
            return false;
        }
        for (int i = 0; i < weights.length; i++) {
            if (now.get(i) != members.get(i) || now.get(i).weight() != weights[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Backend pick(InetAddress client, Collection<Backend> tried) {
        return table.pick(client, new NotUpOrTried(tried));
    }
}
