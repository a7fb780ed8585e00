# Certificates, keys, tokens and kubeconfigs for the test cluster (sourced).
# make_pki DIR: an openssl CA; the API server's serving cert; the kubelet's
# serving cert and the API server's client cert for it (exec, logs); a
# service-account key pair; static tokens for admin, the node and the
# controllers; one kubeconfig per client.

_cert() { # dir name subject san(or "") [client|server]
  local d=$1 n=$2 subj=$3 san=$4 kind=$5
  openssl genrsa -out "$d/$n.key" 2048 2>/dev/null
  openssl req -new -key "$d/$n.key" -subj "$subj" -out "$d/$n.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ "$kind" = server ]; then echo "extendedKeyUsage=serverAuth"; else echo "extendedKeyUsage=clientAuth"; fi
    [ -z "$san" ] || echo "subjectAltName=$san"
  } >"$d/$n.ext"
  openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$d/$n.ext" -out "$d/$n.crt" 2>/dev/null
  rm -f "$d/$n.csr" "$d/$n.ext"
}

_kubeconfig() { # dir name token
  cat >"$1/$2.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: registry-lab
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $1/ca.crt
users:
- name: $2
  user:
    token: $3
contexts:
- name: $2
  context: {cluster: registry-lab, user: $2}
current-context: $2
KC
}

make_pki() {
  local d=$1
  mkdir -p "$d" && chmod 700 "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" \
    -days 30 -subj "/CN=registry-lab-k8s-ca" 2>/dev/null
  _cert "$d" apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:${SERVICE_CIDR%.*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" server
  _cert "$d" kubelet "/CN=localhost" "IP:127.0.0.1,DNS:localhost" server
  # system:masters: the kubelet's webhook authorizer lets it exec and read logs.
  _cert "$d" apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "" client
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
  local admin cm sched node
  admin=$(openssl rand -hex 24); cm=$(openssl rand -hex 24); sched=$(openssl rand -hex 24); node=$(openssl rand -hex 24)
  echo "$admin" >"$d/admin.token"
  cat >"$d/tokens.csv" <<CSV
$admin,admin,uid-admin,"system:masters"
$cm,system:kube-controller-manager,uid-kcm
$sched,system:kube-scheduler,uid-sched
$node,system:node:localhost,uid-node,"system:nodes"
CSV
  _kubeconfig "$d" admin "$admin"
  _kubeconfig "$d" controller-manager "$cm"
  _kubeconfig "$d" scheduler "$sched"
  _kubeconfig "$d" kubelet "$node"
  ln -sf "$d/admin.kubeconfig" "$K8S_STATE/admin.kubeconfig"
  chmod 600 "$d"/*.key "$d"/*.token "$d"/tokens.csv "$d"/*.kubeconfig
}
