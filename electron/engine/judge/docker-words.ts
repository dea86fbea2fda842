/** What Paddock says of a port Docker publishes beyond loopback (the Docker probe and instances.ts). */
export const DOCKER_BYPASSES_FIREWALL =
  "Ports that Docker publishes are forwarded by Docker's own iptables rules, which ufw's INPUT rules never see: " +
  'ufw does not protect them. Publish on 127.0.0.1 (-p 127.0.0.1:11434:11434) to keep the port on this machine.';
