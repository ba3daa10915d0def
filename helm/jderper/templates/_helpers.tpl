{{/* Names and labels. */}}
{{- define "jderper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jderper.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "jderper.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jderper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jderper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "jderper.labels" -}}
helm.sh/chart: {{ include "jderper.chart" . }}
{{ include "jderper.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "jderper.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "jderper.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "jderper.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The headless Service: stable pod DNS names and the name mesh DNS discovery resolves. */}}
{{- define "jderper.headlessName" -}}
{{- printf "%s-headless" (include "jderper.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jderper.headlessFqdn" -}}
{{- printf "%s.%s.svc.%s" (include "jderper.headlessName" .) .Release.Namespace .Values.clusterDomain -}}
{{- end -}}

{{- define "jderper.meshSecretName" -}}
{{- default (printf "%s-mesh" (include "jderper.fullname" .)) .Values.mesh.existingSecret -}}
{{- end -}}

{{/* "true" or "" : mesh.enabled is true, false or auto (= more than one replica). */}}
{{- define "jderper.meshEnabled" -}}
{{- $m := .Values.mesh.enabled -}}
{{- if kindIs "bool" $m -}}
{{- ternary "true" "" $m -}}
{{- else if eq (toString $m) "auto" -}}
{{- ternary "true" "" (gt (int .Values.replicaCount) 1) -}}
{{- else -}}
{{- fail (printf "mesh.enabled must be true, false or auto; got %v" $m) -}}
{{- end -}}
{{- end -}}

{{/* Paths inside the container. */}}
{{- define "jderper.paths" -}}
data: /var/lib/derper
config: /etc/jderper/config
meshKey: /etc/jderper/mesh
serverKeys: /etc/jderper/server-keys
certs: /etc/jderper/certs
{{- end -}}

{{/* Node hostname of one pod: derper.hostname with ${POD_NAME}/${POD_INDEX} filled in. Argument: dict root, index. */}}
{{- define "jderper.podHostname" -}}
{{- $root := .root -}}
{{- $pod := printf "%s-%d" (include "jderper.fullname" $root) (int .index) -}}
{{- $root.Values.derper.hostname | replace "${POD_NAME}" $pod | replace "${POD_INDEX}" (toString .index) | replace "${POD_NAMESPACE}" $root.Release.Namespace -}}
{{- end -}}

{{/* Lowest port the container binds (for net.ipv4.ip_unprivileged_port_start). */}}
{{- define "jderper.lowestPort" -}}
{{- $ports := list (int .Values.ports.https) (int .Values.ports.management) -}}
{{- if gt (int .Values.ports.http) 0 -}}{{- $ports = append $ports (int .Values.ports.http) -}}{{- end -}}
{{- if .Values.derper.stun.enabled -}}{{- $ports = append $ports (int .Values.ports.stun) -}}{{- end -}}
{{- $min := 65535 -}}
{{- range $ports -}}{{- if lt . $min -}}{{- $min = . -}}{{- end -}}{{- end -}}
{{- $min -}}
{{- end -}}

{{/*
Drops empty strings, empty lists, nulls and maps left empty, so that the application's own defaults apply (an empty
string would not bind to a Path or URI property). Argument: a map. Output: YAML.
*/}}
{{- define "jderper.prune" -}}
{{- $out := dict -}}
{{- range $k, $v := . -}}
{{- if kindIs "map" $v -}}
{{- $sub := include "jderper.prune" $v | fromYaml -}}
{{- if $sub -}}{{- $_ := set $out $k $sub -}}{{- end -}}
{{- else if kindIs "slice" $v -}}
{{- if $v -}}{{- $_ := set $out $k $v -}}{{- end -}}
{{- else if kindIs "invalid" $v -}}
{{- else if and (kindIs "string" $v) (eq $v "") -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* The derper.* tree as rendered into application.yml: user values plus the chart-managed keys. */}}
{{- define "jderper.derperConfig" -}}
{{- $paths := include "jderper.paths" . | fromYaml -}}
{{- if .Values.derper.dev -}}
{{- fail "derper.dev=true is for local development (ephemeral server key, plain HTTP on 3340); use docker compose for that, not this chart" -}}
{{- end -}}
{{- $d := include "jderper.prune" .Values.derper | fromYaml -}}
{{- $_ := set $d "listen" (printf ":%d" (int .Values.ports.https)) -}}
{{- $http := default dict (index $d "http") -}}
{{- $_ := set $http "port" (ternary (int .Values.ports.http) -1 (gt (int .Values.ports.http) 0)) -}}
{{- $_ := set $d "http" $http -}}
{{- $stun := default dict (index $d "stun") -}}
{{- $_ := set $stun "port" (int .Values.ports.stun) -}}
{{- $_ := set $d "stun" $stun -}}
{{- if .Values.serverKeys.existingSecret -}}
{{- $_ := set $d "key-file" (printf "%s/${POD_NAME}.key" $paths.serverKeys) -}}
{{- else -}}
{{- $_ := set $d "key-file" (printf "%s/derper.key" $paths.data) -}}
{{- end -}}
{{- $tls := default dict (index $d "tls") -}}
{{- if not (index $tls "cert-dir") -}}
{{- $_ := set $tls "cert-dir" (ternary $paths.certs (printf "%s/certs" $paths.data) (not (empty .Values.tls.existingSecret))) -}}
{{- end -}}
{{- $_ := set $d "tls" $tls -}}
{{- $mesh := default dict (index $d "mesh") -}}
{{- $_ := unset $mesh "key" -}}
{{- if include "jderper.meshEnabled" . -}}
{{- $_ := set $mesh "key-file" (printf "%s/mesh.key" $paths.meshKey) -}}
{{- $_ := set $mesh "dial-port" (int .Values.ports.https) -}}
{{- $discovery := default "static" (index $mesh "discovery") -}}
{{- if eq $discovery "dns" -}}
{{- if not (index $mesh "dns-name") -}}
{{- $_ := set $mesh "dns-name" (include "jderper.headlessFqdn" .) -}}
{{- end -}}
{{- else if eq $discovery "static" -}}
{{- $with := list -}}
{{- range $i := until (int .Values.replicaCount) -}}
{{- $pod := printf "%s-%d" (include "jderper.fullname" $) $i -}}
{{- $host := include "jderper.podHostname" (dict "root" $ "index" $i) -}}
{{- $with = append $with (printf "%s/%s.%s" $host $pod (include "jderper.headlessFqdn" $)) -}}
{{- end -}}
{{- $_ := set $mesh "with" (concat $with (default list (index $mesh "with"))) -}}
{{- else -}}
{{- fail (printf "derper.mesh.discovery must be dns or static; got %s" $discovery) -}}
{{- end -}}
{{- $_ := set $mesh "discovery" $discovery -}}
{{- $_ := set $d "mesh" $mesh -}}
{{- else -}}
{{- $_ := unset $d "mesh" -}}
{{- end -}}
{{- toYaml $d -}}
{{- end -}}

{{/* Whole application.yml. */}}
{{- define "jderper.applicationConfig" -}}
{{- $ours := dict "derper" (include "jderper.derperConfig" . | fromYaml) "management" (dict "server" (dict "port" (int .Values.ports.management))) -}}
{{- $cfg := mustMergeOverwrite (deepCopy (default dict .Values.extraConfig)) $ours -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The one pod spec of the StatefulSet. */}}
{{- define "jderper.podSpec" -}}
{{- $paths := include "jderper.paths" . | fromYaml -}}
{{- $mesh := include "jderper.meshEnabled" . -}}
{{- $stun := .Values.derper.stun.enabled -}}
{{- $httpOn := gt (int .Values.ports.http) 0 -}}
serviceAccountName: {{ include "jderper.serviceAccountName" . }}
automountServiceAccountToken: false
{{- /* Service links would put <SERVICE>_PORT... variables into the environment, which Spring's relaxed binding reads. */}}
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .Values.hostNetwork }}
hostNetwork: true
dnsPolicy: ClusterFirstWithHostNet
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
{{- $psc := deepCopy .Values.podSecurityContext -}}
{{- $lowest := int (include "jderper.lowestPort" .) -}}
{{- $asRoot := and (hasKey $psc "runAsUser") (eq (int $psc.runAsUser) 0) -}}
{{- if and .Values.unprivilegedPortSysctl (not .Values.hostNetwork) (lt $lowest 1024) (not $asRoot) -}}
{{- $sysctls := default list $psc.sysctls -}}
{{- $sysctls = append $sysctls (dict "name" "net.ipv4.ip_unprivileged_port_start" "value" (toString $lowest)) -}}
{{- $_ := set $psc "sysctls" $sysctls -}}
{{- end }}
securityContext:
  {{- toYaml $psc | nindent 2 }}
containers:
  - name: jderper
    image: {{ include "jderper.image" . }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    {{- with .Values.extraArgs }}
    args:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    env:
      - name: POD_NAME
        valueFrom:
          fieldRef:
            fieldPath: metadata.name
      - name: POD_NAMESPACE
        valueFrom:
          fieldRef:
            fieldPath: metadata.namespace
      - name: POD_INDEX
        valueFrom:
          fieldRef:
            fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
      - name: SPRING_CONFIG_ADDITIONAL_LOCATION
        value: "file:{{ $paths.config }}/"
      - name: JDK_JAVA_OPTIONS
        value: {{ .Values.jvmOptions | quote }}
      {{- with .Values.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    ports:
      - name: https
        containerPort: {{ .Values.ports.https }}
        protocol: TCP
      {{- if $httpOn }}
      - name: http
        containerPort: {{ .Values.ports.http }}
        protocol: TCP
      {{- end }}
      {{- if $stun }}
      - name: stun
        containerPort: {{ .Values.ports.stun }}
        protocol: UDP
      {{- end }}
      - name: management
        containerPort: {{ .Values.ports.management }}
        protocol: TCP
      {{- if .Values.derper.probe.enabled }}
      - name: prober
        containerPort: {{ regexFind "[0-9]+$" (toString .Values.derper.probe.listen) | int }}
        protocol: TCP
      {{- end }}
    startupProbe:
      httpGet:
        path: /actuator/health/liveness
        port: management
      {{- toYaml .Values.probes.startup | nindent 6 }}
    livenessProbe:
      httpGet:
        path: /actuator/health/liveness
        port: management
      {{- toYaml .Values.probes.liveness | nindent 6 }}
    readinessProbe:
      httpGet:
        path: /actuator/health/readiness
        port: management
      {{- toYaml .Values.probes.readiness | nindent 6 }}
    resources:
      {{- toYaml .Values.resources | nindent 6 }}
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      - name: config
        mountPath: {{ $paths.config }}
        readOnly: true
      - name: data
        mountPath: {{ $paths.data }}
      {{- if $mesh }}
      - name: mesh-key
        mountPath: {{ $paths.meshKey }}
        readOnly: true
      {{- end }}
      {{- if .Values.serverKeys.existingSecret }}
      - name: server-keys
        mountPath: {{ $paths.serverKeys }}
        readOnly: true
      {{- end }}
      {{- if .Values.tls.existingSecret }}
      - name: tls
        mountPath: {{ $paths.certs }}
        readOnly: true
      {{- end }}
      {{- with .Values.extraVolumeMounts }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
  {{- with .Values.extraContainers }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
volumes:
  {{- /* Writable scratch for the read-only root: JVM files and Netty's native transport library. */}}
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  - name: config
    configMap:
      name: {{ include "jderper.fullname" . }}-config
  {{- if not .Values.persistence.enabled }}
  - name: data
    emptyDir: {}
  {{- end }}
  {{- if $mesh }}
  - name: mesh-key
    secret:
      secretName: {{ include "jderper.meshSecretName" . }}
      defaultMode: 0440
      items:
        - key: {{ .Values.mesh.existingSecretKey }}
          path: mesh.key
  {{- end }}
  {{- if .Values.serverKeys.existingSecret }}
  - name: server-keys
    secret:
      secretName: {{ .Values.serverKeys.existingSecret }}
      defaultMode: 0440
  {{- end }}
  {{- if .Values.tls.existingSecret }}
  - name: tls
    secret:
      secretName: {{ .Values.tls.existingSecret }}
      defaultMode: 0440
  {{- end }}
  {{- with .Values.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
affinity:
{{- if .Values.affinity }}
  {{- toYaml .Values.affinity | nindent 2 }}
{{- else if .Values.hostNetwork }}
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "jderper.selectorLabels" . | nindent 12 }}
{{- else }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "jderper.selectorLabels" . | nindent 14 }}
{{- end }}
{{- end -}}

{{/* ---- prober (its own Deployment) ---- */}}
{{- define "jderper.proberName" -}}
{{- printf "%s-prober" (include "jderper.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prober pods must not match the nodes' selectors (headless Service, PDB): their own name label. */}}
{{- define "jderper.proberSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-prober" (include "jderper.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "jderper.proberLabels" -}}
helm.sh/chart: {{ include "jderper.chart" . }}
{{ include "jderper.proberSelectorLabels" . }}
app.kubernetes.io/component: prober
app.kubernetes.io/part-of: {{ include "jderper.name" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* "true" or "": whether the nodes serve TLS (port 443 or tls.mode manual), as the application decides. */}}
{{- define "jderper.tlsOn" -}}
{{- ternary "true" "" (or (eq (int .Values.ports.https) 443) (eq .Values.derper.tls.mode "manual")) -}}
{{- end -}}

{{/* "true" or "": whether the prober presents the mesh key. */}}
{{- define "jderper.proberMeshKey" -}}
{{- $m := .Values.prober.meshKey.enabled -}}
{{- if kindIs "bool" $m -}}
{{- if and $m (not .Values.prober.meshKey.existingSecret) (not (include "jderper.meshEnabled" .)) -}}
{{- fail "prober.meshKey.enabled=true needs the mesh on (mesh.enabled) or prober.meshKey.existingSecret" -}}
{{- end -}}
{{- ternary "true" "" $m -}}
{{- else if eq (toString $m) "auto" -}}
{{- ternary "true" "" (or (not (empty (include "jderper.meshEnabled" .))) (not (empty .Values.prober.meshKey.existingSecret))) -}}
{{- else -}}
{{- fail (printf "prober.meshKey.enabled must be true, false or auto; got %v" $m) -}}
{{- end -}}
{{- end -}}

{{/*
The DERP map of this release's nodes, as the prober reads it (Tailscale's DERPMap JSON): one region, one node per
pod with the pod's hostname, its pinned IPv4 when expose.perPod gives one, and the ports when not the defaults.
*/}}
{{- define "jderper.proberDerpMap" -}}
{{- $id := int .Values.prober.region.id -}}
{{- $nodes := list -}}
{{- range $i := until (int .Values.replicaCount) -}}
{{- $n := dict "Name" (printf "%s-%d" (include "jderper.fullname" $) $i) "RegionID" $id "HostName" (include "jderper.podHostname" (dict "root" $ "index" $i)) -}}
{{- if lt $i (len $.Values.expose.perPod) -}}
{{- with (index $.Values.expose.perPod $i).loadBalancerIP -}}
{{- if contains ":" . -}}{{- $_ := set $n "IPv6" . -}}{{- else -}}{{- $_ := set $n "IPv4" . -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- if ne (int $.Values.ports.https) 443 -}}{{- $_ := set $n "DERPPort" (int $.Values.ports.https) -}}{{- end -}}
{{- if not $.Values.derper.stun.enabled -}}
{{- $_ := set $n "STUNPort" -1 -}}
{{- else if ne (int $.Values.ports.stun) 3478 -}}
{{- $_ := set $n "STUNPort" (int $.Values.ports.stun) -}}
{{- end -}}
{{- $nodes = append $nodes $n -}}
{{- end -}}
{{- $region := dict "RegionID" $id "RegionCode" .Values.prober.region.code "RegionName" .Values.prober.region.name "Nodes" $nodes -}}
{{- dict "Regions" (dict (toString $id) $region) | toPrettyJson -}}
{{- end -}}
