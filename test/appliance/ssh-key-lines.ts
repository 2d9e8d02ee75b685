// Public key lines made with ssh-keygen for the tests (the private halves were thrown away),
// and an admin password hash line.

export const ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH6CztM/eIm7mTI14/oJjttrumbAVBR0c3RCiPSqDW0B anna@laptop";
export const ECDSA = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJxppuwcb6rH32CHcA/xTJ3fx3bzMATbp+zP+uvdV4wEDrqLJFj5rMZxgeD9dMZiWmZmI5SXmUq4yREfG+SnQtU=";
export const RSA =
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC6pm9U7LTWjo8uGLtRlBhu3JMy75e6ZzQUIcMIMdt7qgXbnEwH1ei+NWIBjo8N2o4xeGaiUSyLnMoIL7kDWkJWBcM/zQFwfv7HEwzb8Wtz+3yoWZsvyHTcZ2eZvSUf3Tpoed2p1mrxAuBDnbrH+JhwDj10GWbpoSkviFTt65PRww== bob";
// The shape hashPassword() writes (16-byte salt, 32-byte hash); no test logs in with it.
export const HASH = "$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$2o9UE3b6ZcyJ8lDTXfLzcv3nC3fmsqHXNnV9g3eK4Ko=";
