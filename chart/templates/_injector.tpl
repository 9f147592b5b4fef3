{{/*
The sidecar injector: names, labels, and the sidecar it inserts (INJECT_CONFIG).
*/}}

{{- define "openai-proxy.injector.fullname" -}}
{{- printf "%s-injector" (include "openai-proxy.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{/* Its own app.kubernetes.io/name, so no selector of the proxy's (Service, PDB, NetworkPolicy) matches its Pods. */}}
{{- define "openai-proxy.injector.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-injector" (include "openai-proxy.name" . | trunc 54 | trimSuffix "-") }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "openai-proxy.injector.labels" -}}
helm.sh/chart: {{ include "openai-proxy.chart" . }}
{{ include "openai-proxy.injector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: injector
{{- end }}

{{/* On the injector's own Pods: the webhook's objectSelector leaves every Pod carrying it alone. */}}
{{- define "openai-proxy.injector.podMarker" -}}openai-proxy.io/injector{{- end }}

{{/* The webhook's DNS names, for its serving certificate. */}}
{{- define "openai-proxy.injector.dnsNames" -}}
{{- $svc := include "openai-proxy.injector.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- toJson (list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns)) }}
{{- end }}

{{/*
The values an injected sidecar is rendered with: this release's values as sidecar mode uses them, but no
client key (the proxy listens on the Pod's loopback only, and the Pod holds no secret) and no chart clients.
Not keyless: the upstream key is the entry openai-api-key of the Secret the Pod names (the injector writes its
name in). Keyless: upstream.workloadIdentity as set, with the Pod's own ServiceAccount token.
*/}}
{{- define "openai-proxy.injector.sidecarValues" -}}
{{- $auth := dict "clientAuth" "none" "existingSecret" "named-by-the-pod" "create" false "defaultClient" false "secretKeys" (dict "openaiApiKey" "openai-api-key") }}
{{- $values := mergeOverwrite (deepCopy .root.Values) (dict "mode" "sidecar" "auth" $auth) }}
{{- $_ := set $values "clients" list }}
{{- $_ := set $values.upstream.workloadIdentity "enabled" .keyless }}
{{- /* Limits and prices belong to clients, which an injected sidecar has none of: no store, no Secret for it. */}}
{{- $_ := set $values "limits" (dict "store" (dict "redis" dict) "onStoreError" "local" "prices" dict) }}
{{- $_ := set $values "redis" (dict "deploy" false) }}
{{- toYaml $values }}
{{- end }}

{{/*
One way of getting the upstream key, as the injector inserts it: container and volumes. The proxy container of
sidecar mode, but with its settings in env instead of the config file: sidecar mode's ConfigMap lives in this
release's namespace and an injected Pod may be in any, and a Pod annotation read through the downward API
could be changed by anyone who may edit the Pod, while a container's env is fixed once the Pod exists.
*/}}
{{- define "openai-proxy.injector.variant" -}}
{{- $ctx := dict "Values" .values "Release" .root.Release "Chart" .root.Chart "Capabilities" .root.Capabilities "Template" .root.Template "Files" .root.Files }}
{{- $container := include "openai-proxy.proxyContainer" $ctx | fromYaml }}
{{- $env := list }}
{{- range $container.env }}
{{- if eq .name "PROXY_CONFIG" }}{{ $env = concat $env (include "openai-proxy.injector.settingsEnv" $ctx | fromYamlArray) }}
{{- else }}{{ $env = append $env . }}{{ end }}
{{- end }}
{{- $mounts := list }}
{{- range $container.volumeMounts }}{{ if ne .name "openai-proxy-config" }}{{ $mounts = append $mounts . }}{{ end }}{{ end }}
{{- $_ := set $container "env" $env }}
{{- $_ := set $container "volumeMounts" $mounts }}
{{- $volumes := list }}
{{- range (include "openai-proxy.sidecar.volumes" $ctx | fromYamlArray) }}
{{- if ne .name "openai-proxy-config" }}{{ $volumes = append $volumes . }}{{ end }}
{{- end }}
{{- /* Volumes of the release's extraVolumes that the proxy container mounts (proxy.extraVolumeMounts) go along. */}}
{{- $mounted := list }}
{{- range .values.proxy.extraVolumeMounts }}{{ $mounted = append $mounted .name }}{{ end }}
{{- range .values.extraVolumes }}
{{- if has .name $mounted }}{{ $volumes = append $volumes . }}{{ end }}
{{- end }}
{{- $variant := dict "container" $container "volumes" $volumes }}
{{- with .secretVolume }}{{ $_ := set $variant "secretVolume" . }}{{ end }}
{{- toYaml $variant }}
{{- end }}

{{/*
What sidecar mode's config file says, as the environment variables that set the same (an injected sidecar has
no clients and no ServiceAccount callers, so no limits either): list items. Fallbacks have no environment form:
refused, rather than a sidecar that silently never fails over. upstream.name, a label only, is left out.
*/}}
{{- define "openai-proxy.injector.settingsEnv" -}}
{{- if .Values.upstream.fallbacks }}
{{- fail "upstream.fallbacks has no environment variable, and an injected sidecar takes its settings from env only: with injector.enabled leave upstream.fallbacks empty (install the shared Service with fallbacks as a release of its own)" }}
{{- end }}
- name: OPENAI_BASE_URL
  value: {{ .Values.upstream.baseUrl | quote }}
- name: OPENAI_AUTH_HEADER
  value: {{ .Values.upstream.authHeader | quote }}
{{- if include "openai-proxy.keyless" . }}
{{- $ref := (include "openai-proxy.workloadIdentityRef" (dict "root" .) | fromYaml).workloadIdentity }}
{{- if eq $ref.provider "azure" }}
{{- if $ref.scope }}
{{- fail "upstream.workloadIdentity.scope has no environment variable, and an injected sidecar takes its settings from env only: with injector.enabled leave it empty (https://cognitiveservices.azure.com/.default)" }}
{{- end }}
- name: OPENAI_AUTH_PROVIDER
  value: azure
- name: AZURE_TENANT_ID
  value: {{ $ref.tenantId | quote }}
- name: AZURE_CLIENT_ID
  value: {{ $ref.clientId | quote }}
- name: AZURE_FEDERATED_TOKEN_FILE
  value: {{ $ref.tokenFile | quote }}
{{- with $ref.authorityHost }}
- name: AZURE_AUTHORITY_HOST
  value: {{ . | quote }}
{{- end }}
{{- else }}
- name: OPENAI_IDENTITY_PROVIDER_ID
  value: {{ $ref.identityProviderId | quote }}
- name: OPENAI_SERVICE_ACCOUNT_ID
  value: {{ $ref.serviceAccountId | quote }}
- name: OPENAI_IDENTITY_TOKEN_FILE
  value: {{ $ref.tokenFile | quote }}
{{- with $ref.tokenUrl }}
- name: OPENAI_IDENTITY_TOKEN_URL
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- range (concat .Values.models .Values.endpoints) }}
{{- if contains "," . }}
{{- fail (printf "models and endpoints reach an injected sidecar as comma-separated env values: %q holds a comma" .) }}
{{- end }}
{{- end }}
{{- with .Values.models }}
- name: PROXY_MODELS
  value: {{ join "," . | quote }}
{{- end }}
{{- with .Values.endpoints }}
- name: PROXY_ENDPOINTS
  value: {{ join "," . | quote }}
{{- end }}
{{- with .Values.usage.streamUsage }}
- name: PROXY_STREAM_USAGE
  value: {{ . | quote }}
{{- end }}
{{- end }}

{{/* INJECT_CONFIG: the app containers' env and the sidecar, rendered by the same templates as sidecar mode. */}}
{{- define "openai-proxy.injector.sidecarConfig" -}}
{{- $values := include "openai-proxy.injector.sidecarValues" (dict "root" . "keyless" false) | fromYaml }}
{{- $ctx := dict "Values" $values "Release" .Release "Chart" .Chart "Capabilities" .Capabilities }}
{{- $config := dict "appEnv" (include "openai-proxy.sidecar.appEnv" $ctx | fromYamlArray) }}
{{- $_ := set $config "secret" (include "openai-proxy.injector.variant" (dict "root" . "values" $values "secretVolume" "openai-proxy-auth") | fromYaml) }}
{{- if .Values.upstream.workloadIdentity.enabled }}
{{- $keyless := include "openai-proxy.injector.sidecarValues" (dict "root" . "keyless" true) | fromYaml }}
{{- $_ := set $config "workloadIdentity" (include "openai-proxy.injector.variant" (dict "root" . "values" $keyless) | fromYaml) }}
{{- end }}
{{- toYaml $config }}
{{- end }}
