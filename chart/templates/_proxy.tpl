{{/*
The proxy container, its volumes and the app's environment. The templates named
"openai-proxy.sidecar.*" are the public interface for embedding the proxy in another chart's Pods
(see the chart README); they take this chart's context: `(index .Subcharts "openai-proxy")`.
*/}}

{{/* One container (a mapping, not a list item). */}}
{{- define "openai-proxy.proxyContainer" -}}
{{- $native := include "openai-proxy.nativeSidecar" . }}
{{- $sidecar := eq .Values.mode "sidecar" }}
name: openai-proxy
image: {{ include "openai-proxy.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- if $native }}
# A native sidecar: started before the app containers and stopped after them.
restartPolicy: Always
{{- end }}
ports:
  {{- if not $sidecar }}
  - name: proxy
    containerPort: {{ .Values.proxy.port }}
    protocol: TCP
  {{- end }}
  - name: admin
    containerPort: {{ .Values.proxy.adminPort }}
    protocol: TCP
env:
  {{- include "openai-proxy.proxyEnv" . | nindent 2 }}
volumeMounts:
  {{- include "openai-proxy.proxyVolumeMounts" . | nindent 2 }}
{{- if $native }}
# The app containers start once this succeeds, so their first request finds the proxy ready.
startupProbe:
  {{- include "openai-proxy.probe" (dict "path" "/readyz") | nindent 2 }}
  periodSeconds: 1
  failureThreshold: 60
{{- end }}
livenessProbe:
  {{- include "openai-proxy.probe" (dict "path" "/healthz") | nindent 2 }}
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  {{- include "openai-proxy.probe" (dict "path" "/readyz") | nindent 2 }}
  periodSeconds: 5
  failureThreshold: 2
{{- if and (not $native) (gt (int .Values.proxy.preStopSleepSeconds) 0) }}
# Keep serving while endpoints (service mode) or the app beside it (regular sidecar) let go,
# then SIGTERM starts the proxy's own drain. A native sidecar is stopped after the app, so needs none.
lifecycle:
  preStop:
    {{- if semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version }}
    sleep:
      seconds: {{ .Values.proxy.preStopSleepSeconds }}
    {{- else }}
    exec:
      command: ["sleep", {{ .Values.proxy.preStopSleepSeconds | quote }}]
    {{- end }}
{{- end }}
resources:
  {{- toYaml .Values.proxy.resources | nindent 2 }}
securityContext:
  {{- toYaml .Values.proxy.securityContext | nindent 2 }}
{{- end }}

{{/* Volumes for the proxy container: list items. */}}
{{- define "openai-proxy.sidecar.volumes" -}}
{{- if include "openai-proxy.authSecretNeeded" . }}
- name: openai-proxy-auth
  secret:
    secretName: {{ include "openai-proxy.authSecretName" . }}
    # 0440: root and the Pod's fsGroup (the proxy's group) only.
    defaultMode: 288
{{- end }}
{{- if include "openai-proxy.keyless" . }}
# The Pod's own ServiceAccount token for the upstream's token exchange, rotated by the kubelet.
- name: openai-proxy-identity
  projected:
    sources:
      - serviceAccountToken:
          path: token
          audience: {{ include "openai-proxy.identityAudience" . | quote }}
          expirationSeconds: {{ .Values.upstream.workloadIdentity.expirationSeconds | int64 }}
{{- end }}
- name: openai-proxy-config
  configMap:
    name: {{ include "openai-proxy.fullname" . }}
{{- range $i, $client := .Values.clients }}
{{- if $client.existingSecret }}
- name: openai-proxy-client-{{ $i }}
  secret:
    secretName: {{ $client.existingSecret }}
    # 0440: root and the Pod's fsGroup (the proxy's group) only.
    defaultMode: 288
{{- end }}
{{- end }}
{{- include "openai-proxy.fallbackVolumes" . }}
{{- include "openai-proxy.limitsVolumes" . }}
{{- if .Values.auth.serviceAccounts.enabled }}
# What automountServiceAccountToken would give, for the proxy container alone: a token the kubelet renews,
# for the API server's audience, and the cluster CA.
- name: openai-proxy-kube-api
  projected:
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: {{ .Values.auth.serviceAccounts.tokenExpirationSeconds }}
      - configMap:
          name: kube-root-ca.crt
          items:
            - key: ca.crt
              path: ca.crt
{{- end }}
{{- end }}

{{/*
Pod-level securityContext fields the proxy needs in a Pod of another chart: the files of its Secret volumes are
0440, owned by root and by the Pod's fsGroup, so the Pod needs one (any: the kubelet adds the fsGroup to every
container's groups). Mapping items, for the parent's `securityContext:`.
*/}}
{{- define "openai-proxy.sidecar.podSecurityContext" -}}
fsGroup: {{ .Values.podSecurityContext.fsGroup | default .Values.proxy.securityContext.runAsGroup | int64 }}
{{- end }}

{{/* initContainers list items: the proxy when it is a native sidecar, else nothing. */}}
{{- define "openai-proxy.sidecar.initContainers" -}}
{{- if include "openai-proxy.nativeSidecar" . }}
- {{ include "openai-proxy.proxyContainer" . | indent 2 | trim }}
{{- end }}
{{- end }}

{{/* containers list items: the proxy when it is a regular sidecar, else nothing. */}}
{{- define "openai-proxy.sidecar.containers" -}}
{{- if not (include "openai-proxy.nativeSidecar" .) }}
- {{ include "openai-proxy.proxyContainer" . | indent 2 | trim }}
{{- end }}
{{- end }}

{{/* env list items for an app container: where the proxy is, and (with clientAuth none) a placeholder
     key, because the OpenAI SDKs refuse to start without one; the proxy replaces it. */}}
{{- define "openai-proxy.sidecar.appEnv" -}}
- name: OPENAI_BASE_URL
  value: {{ printf "http://127.0.0.1:%d/v1" (int .Values.proxy.port) | quote }}
{{- if eq .Values.auth.clientAuth "none" }}
- name: OPENAI_API_KEY
  value: "unused-the-openai-proxy-sidecar-holds-the-key"
{{- end }}
{{- end }}

{{/* Pod annotations that roll the Pods when the proxy's config or chart-made Secret changes. */}}
{{- define "openai-proxy.sidecar.podAnnotations" -}}
{{- include "openai-proxy.checksumAnnotations" . }}
{{- end }}

{{/* The proxy container's environment: list items. The helm test Pod runs a proxy with exactly these. */}}
{{- define "openai-proxy.proxyEnv" -}}
{{- if not (include "openai-proxy.keyless" .) }}
- name: OPENAI_API_KEY_FILE
  value: {{ printf "%s/%s" (include "openai-proxy.authDir" .) .Values.auth.secretKeys.openaiApiKey | quote }}
{{- end }}
{{- if and (eq .Values.auth.clientAuth "key") .Values.auth.defaultClient }}
- name: PROXY_X_API_KEY_FILE
  value: {{ printf "%s/%s" (include "openai-proxy.authDir" .) .Values.auth.secretKeys.proxyApiKey | quote }}
{{- end }}
- name: PROXY_CONFIG
  value: {{ printf "%s/config.yaml" (include "openai-proxy.configDir" .) | quote }}
- name: PROXY_AUTH
  value: {{ .Values.auth.clientAuth | quote }}
- name: HOST
  # In sidecar mode only the Pod's own containers may reach the proxy.
  value: {{ ternary "127.0.0.1" .Values.proxy.host (eq .Values.mode "sidecar") | quote }}
- name: PORT
  value: {{ .Values.proxy.port | int | quote }}
- name: ADMIN_HOST
  value: {{ .Values.proxy.host | quote }}
- name: ADMIN_PORT
  value: {{ .Values.proxy.adminPort | int | quote }}
- name: LOG_LEVEL
  value: {{ .Values.proxy.logLevel | quote }}
- name: SHUTDOWN_GRACE_MS
  value: {{ .Values.proxy.shutdownGraceMs | int64 | quote }}
- name: MAX_BODY_BYTES
  value: {{ .Values.proxy.maxBodyBytes | int64 | quote }}
- name: UPSTREAM_CONNECT_TIMEOUT_MS
  value: {{ .Values.proxy.upstreamConnectTimeoutMs | int64 | quote }}
- name: UPSTREAM_FIRST_BYTE_TIMEOUT_MS
  value: {{ .Values.proxy.upstreamFirstByteTimeoutMs | int64 | quote }}
- name: UPSTREAM_IDLE_TIMEOUT_MS
  value: {{ .Values.proxy.upstreamIdleTimeoutMs | int64 | quote }}
{{- with .Values.proxy.upstreamKeepAliveTimeoutMs }}
- name: UPSTREAM_KEEPALIVE_TIMEOUT_MS
  value: {{ . | int64 | quote }}
{{- end }}
{{- with .Values.proxy.extraEnv }}
{{- toYaml . | nindent 0 }}
{{- end }}
{{- end }}

{{/* The proxy container's mounts: list items. */}}
{{- define "openai-proxy.proxyVolumeMounts" -}}
# Whole directories, never subPath: a subPath mount would never see a rotated Secret (or token).
{{- if include "openai-proxy.authSecretNeeded" . }}
- name: openai-proxy-auth
  mountPath: {{ include "openai-proxy.authDir" . }}
  readOnly: true
{{- end }}
{{- if include "openai-proxy.keyless" . }}
- name: openai-proxy-identity
  mountPath: {{ include "openai-proxy.identityDir" . }}
  readOnly: true
{{- end }}
- name: openai-proxy-config
  mountPath: {{ include "openai-proxy.configDir" . }}
  readOnly: true
{{- range $i, $client := .Values.clients }}
{{- if $client.existingSecret }}
- name: openai-proxy-client-{{ $i }}
  mountPath: {{ printf "%s/%s" (include "openai-proxy.clientsDir" $) $client.name }}
  readOnly: true
{{- end }}
{{- end }}
{{- include "openai-proxy.fallbackVolumeMounts" . }}
{{- include "openai-proxy.limitsVolumeMounts" . }}
{{- if .Values.auth.serviceAccounts.enabled }}
# The proxy's own API token, to read the ServiceAccount signing keys (JWKS) from the API server.
- name: openai-proxy-kube-api
  mountPath: {{ include "openai-proxy.kubeApiDir" . }}
  readOnly: true
{{- end }}
{{- with .Values.proxy.extraVolumeMounts }}
{{- toYaml . | nindent 0 }}
{{- end }}
{{- end }}
