/**
 * What `paddock-privileged __firewall-facts` prints when root reads an nftables ruleset with
 * no tables and no ufw or firewalld: the smallest answer that passes firewallProbeResultSchema.
 */
export const EMPTY_FIREWALL_FACTS = {
  status: 'ok',
  data: {
    nftables: {
      status: 'ok',
      evidence: [],
      ruleset: { version: '1.0.6', tables: [], warnings: [] },
    },
    iptables: [],
    ufw: { status: 'unavailable', evidence: [], model: null },
    firewalld: { status: 'unavailable', evidence: [], model: null },
  },
  evidence: [],
  durationMs: 3,
} as const;
