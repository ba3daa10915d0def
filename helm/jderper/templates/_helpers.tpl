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

{{/*
The mesh key as the chart's Secret holds it (base64), or "" when mesh.existingSecret is used (pods then roll on a
key change only when told to: kubectl rollout restart). Sources, in order: mesh.existingSecret, derper.mesh.key, the key already stored in the
chart's Secret, a newly generated key. A key is generated only when the render talks to a cluster that can keep it:
a template-only render (helm template, Argo CD, a client-side dry run) would invent a different key every time, so
it fails instead. Computed once per render and cached on the root context, because the Secret and the pod checksums
must see the same value.
*/}}
{{- define "jderper.meshKeyB64" -}}
{{- if not (hasKey $ "jderperMeshKeyB64") -}}
{{- $value := "" -}}
{{- if include "jderper.meshEnabled" . -}}
{{- $keyName := .Values.mesh.existingSecretKey -}}
{{- $given := trim (default "" .Values.derper.mesh.key) -}}
{{- if .Values.mesh.existingSecret -}}
{{- if $given -}}
{{- fail "set either mesh.existingSecret or derper.mesh.key, not both" -}}
{{- end -}}
{{- /* Not read: the chart does not own that Secret, and rendering must not depend on a cluster. */ -}}
{{- else if $given -}}
{{- if not (regexMatch "^[0-9a-fA-F]{64}$" $given) -}}
{{- fail "derper.mesh.key must be 64 hex digits (e.g. the output of: openssl rand -hex 32)" -}}
{{- end -}}
{{- $value = $given | b64enc -}}
{{- else -}}
{{- /* Listing Secrets answers with a SecretList on a cluster (Helm keeps its releases there) and with nothing without one. */ -}}
{{- $cluster := lookup "v1" "Secret" .Release.Namespace "" -}}
{{- if not $cluster -}}
{{- fail "the mesh needs a key that stays the same on every render: set mesh.existingSecret (a Secret you manage) or derper.mesh.key (64 hex digits, e.g. openssl rand -hex 32). A key is generated only by helm install/upgrade against a cluster, which keeps it in the Secret; this render (helm template, Argo CD, --dry-run) has no cluster to keep it in" -}}
{{- end -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "jderper.meshSecretName" .) -}}
{{- if and $existing $existing.data (hasKey $existing.data $keyName) -}}
{{- /* Keep the key across upgrades: old and new pods of a rollout must share it. */ -}}
{{- $value = index $existing.data $keyName -}}
{{- else -}}
{{- $value = randAlphaNum 64 | sha256sum | b64enc -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $ "jderperMeshKeyB64" $value -}}
{{- end -}}
{{- index $ "jderperMeshKeyB64" -}}
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
{{- $shutdown := include "jderper.shutdown" . | fromYaml -}}
{{- $spring := dict "lifecycle" (dict "timeout-per-shutdown-phase" (printf "%ds" (int $shutdown.phaseSeconds))) -}}
{{- $ours := dict "derper" (include "jderper.derperConfig" . | fromYaml) "management" (dict "server" (dict "port" (int .Values.ports.management))) "spring" $spring -}}
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
terminationGracePeriodSeconds: {{ (include "jderper.shutdown" . | fromYaml).terminationGracePeriodSeconds }}
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
        value: {{ printf "%s %s" (include "jderper.jvmMemoryOptions" (dict "root" . "resources" .Values.resources "name" "resources")) .Values.jvmOptions | trim | quote }}
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
topologySpreadConstraints:
{{- if .Values.topologySpreadConstraints }}
  {{- toYaml .Values.topologySpreadConstraints | nindent 2 }}
{{- else }}
  {{- /* A zone outage, or a node's, should leave the region's other nodes running. */}}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "jderper.selectorLabels" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: {{ ternary "DoNotSchedule" "ScheduleAnyway" .Values.hostNetwork }}
    labelSelector:
      matchLabels:
        {{- include "jderper.selectorLabels" . | nindent 8 }}
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

{{/* ---- memory and shutdown budgets ---- */}}

{{/*
A container's memory limit in MiB (rounded down). Kubernetes quantities: 768Mi, 1Gi, 1.5Gi, 800M, 805306368.
Argument: dict "resources" (the container's resources), "name" (its values path, for messages).
*/}}
{{- define "jderper.memoryLimitMiB" -}}
{{- $q := toString (dig "limits" "memory" "" (default dict .resources)) -}}
{{- if not $q -}}
{{- fail (printf "%s.limits.memory must be set: the JVM's heap, direct memory and the rest are sized from it (jvmMemory)" .name) -}}
{{- end -}}
{{- $m := regexFindAll "^([0-9]+(\\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$" $q -1 -}}
{{- if not $m -}}
{{- fail (printf "%s.limits.memory: %s is not a memory quantity the chart reads (e.g. 768Mi, 1Gi, 800M)" .name $q) -}}
{{- end -}}
{{- $number := regexReplaceAll "[A-Za-z]+$" $q "" | float64 -}}
{{- $unit := regexReplaceAll "^[0-9.]+" $q "" -}}
{{- $factor := get (dict "" 1.0 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "k" 1000.0 "M" 1000000.0 "G" 1000000000.0 "T" 1000000000000.0) $unit -}}
{{- divf (mulf $number $factor) 1048576.0 | floor | int -}}
{{- end -}}

{{/*
The JVM's memory sizes for a container's memory limit (formula in values.yaml under jvmMemory and in
docs/performance.md, "Memory"), in MiB (KiB for the stack), as YAML. Argument: dict "root", "resources", "name".
*/}}
{{- define "jderper.jvmMemory" -}}
{{- $m := .root.Values.jvmMemory -}}
{{- $limit := int (include "jderper.memoryLimitMiB" .) -}}
{{- $stacks := div (add (mul (int $m.threads) (int $m.stackKiB)) 1023) 1024 -}}
{{- $fixed := add (int $m.metaspaceMiB) (int $m.codeCacheMiB) $stacks (int $m.nativeMiB) -}}
{{- $rest := sub $limit $fixed -}}
{{- if lt $rest 64 -}}
{{- fail (printf "%s.limits.memory (%d MiB) leaves %d MiB for heap and direct memory after the %d MiB jvmMemory keeps for metaspace, code cache, stacks and native memory; at least 64 MiB are needed: raise the limit or lower jvmMemory" .name $limit $rest $fixed) -}}
{{- end -}}
{{- $heap := div (mul $rest (int $m.heapPercent)) 100 -}}
{{- dict "limitMiB" $limit "fixedMiB" $fixed "stacksMiB" $stacks "heapMiB" $heap "directMiB" (sub $rest $heap) "metaspaceMiB" (int $m.metaspaceMiB) "codeCacheMiB" (int $m.codeCacheMiB) "stackKiB" (int $m.stackKiB) | toYaml -}}
{{- end -}}

{{/* The options for those sizes. Argument: as jderper.jvmMemory. */}}
{{- define "jderper.jvmMemoryOptions" -}}
{{- $s := include "jderper.jvmMemory" . | fromYaml -}}
{{- printf "-Xmx%dm -XX:MaxDirectMemorySize=%dm -XX:MaxMetaspaceSize=%dm -XX:ReservedCodeCacheSize=%dm -Xss%dk" (int $s.heapMiB) (int $s.directMiB) (int $s.metaspaceMiB) (int $s.codeCacheMiB) (int $s.stackKiB) -}}
{{- end -}}

{{/* Whole seconds (rounded up) of a derper.* duration: 10s, 500ms, 2m, 1h, or a bare number of milliseconds. */}}
{{- define "jderper.seconds" -}}
{{- $name := index . 0 -}}
{{- $v := toString (index . 1) -}}
{{- if not (regexMatch "^[0-9]+(ms|s|m|h)?$" $v) -}}
{{- fail (printf "%s: the chart reads durations like 10s, 500ms or 2m to size the shutdown; got %s" $name $v) -}}
{{- end -}}
{{- $n := regexReplaceAll "[a-z]+$" $v "" | int -}}
{{- $unit := regexReplaceAll "^[0-9]+" $v "" -}}
{{- if or (eq $unit "ms") (eq $unit "") -}}{{- div (add $n 999) 1000 -}}
{{- else if eq $unit "s" -}}{{- $n -}}
{{- else if eq $unit "m" -}}{{- mul $n 60 -}}
{{- else -}}{{- mul $n 3600 -}}
{{- end -}}
{{- end -}}

{{/*
Shutdown budget in seconds: the drain (readiness grace + drain period, application defaults 0s and 10s), Spring's
timeout for the lifecycle phase that runs it, and the pod's terminationGracePeriodSeconds.
*/}}
{{- define "jderper.shutdown" -}}
{{- $relay := default dict .Values.derper.relay -}}
{{- $grace := int (include "jderper.seconds" (list "derper.relay.readiness-grace" (default "0s" (index $relay "readiness-grace")))) -}}
{{- $drain := int (include "jderper.seconds" (list "derper.relay.drain-period" (default "10s" (index $relay "drain-period")))) -}}
{{- $margin := int .Values.shutdown.marginSeconds -}}
{{- $phase := add $grace $drain $margin -}}
{{- $needed := add $phase $margin -}}
{{- $tgps := $needed -}}
{{- if ne (toString .Values.terminationGracePeriodSeconds) "auto" -}}
{{- $tgps = int .Values.terminationGracePeriodSeconds -}}
{{- if lt $tgps $needed -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) is shorter than the shutdown: derper.relay.readiness-grace (%ds) + derper.relay.drain-period (%ds) + 2 x shutdown.marginSeconds (%ds) = %ds; clients would be cut off instead of moved. Use auto or at least %d" $tgps $grace $drain $margin $needed $needed) -}}
{{- end -}}
{{- end -}}
{{- dict "graceSeconds" $grace "drainSeconds" $drain "phaseSeconds" $phase "terminationGracePeriodSeconds" $tgps | toYaml -}}
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
pod with the pod's hostname, its pinned IPv4 and IPv6 when expose.perPod gives them, and the ports when not the defaults.
*/}}
{{- define "jderper.proberDerpMap" -}}
{{- $id := int .Values.prober.region.id -}}
{{- $nodes := list -}}
{{- range $i := until (int .Values.replicaCount) -}}
{{- $n := dict "Name" (printf "%s-%d" (include "jderper.fullname" $) $i) "RegionID" $id "HostName" (include "jderper.podHostname" (dict "root" $ "index" $i)) -}}
{{- if lt $i (len $.Values.expose.perPod) -}}
{{- range (default list (index $.Values.expose.perPod $i).ips) -}}
{{- if contains ":" . -}}
{{- if not (hasKey $n "IPv6") -}}{{- $_ := set $n "IPv6" . -}}{{- end -}}
{{- else if not (hasKey $n "IPv4") -}}
{{- $_ := set $n "IPv4" . -}}
{{- end -}}
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
