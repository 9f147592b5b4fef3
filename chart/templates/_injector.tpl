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

{{/* The annotation that carries an injected sidecar's config file, read through a downward API volume. */}}
{{- define "openai-proxy.injector.configAnnotation" -}}openai-proxy.io/config{{- end }}

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
{{- toYaml $values }}
{{- end }}

{{/* One way of getting the upstream key, as the injector inserts it: container, volumes, Pod annotations. */}}
{{- define "openai-proxy.injector.variant" -}}
{{- $ctx := dict "Values" .values "Release" .root.Release "Chart" .root.Chart "Capabilities" .root.Capabilities "Template" .root.Template "Files" .root.Files }}
{{- $annotation := include "openai-proxy.injector.configAnnotation" .root }}
{{- /* The ConfigMap of sidecar mode lives in this release's namespace; an injected Pod may be in any. Its
       config file travels in the patch instead, as a Pod annotation the downward API mounts as that file. */}}
{{- $volumes := list }}
{{- range (include "openai-proxy.sidecar.volumes" $ctx | fromYamlArray) }}
{{- if eq .name "openai-proxy-config" }}
{{- $volumes = append $volumes (dict "name" .name "downwardAPI" (dict "items" (list (dict "path" "config.yaml" "fieldRef" (dict "fieldPath" (printf "metadata.annotations['%s']" $annotation)))))) }}
{{- else }}
{{- $volumes = append $volumes . }}
{{- end }}
{{- end }}
{{- /* Volumes of the release's extraVolumes that the proxy container mounts (proxy.extraVolumeMounts) go along. */}}
{{- $mounted := list }}
{{- range .values.proxy.extraVolumeMounts }}{{ $mounted = append $mounted .name }}{{ end }}
{{- range .values.extraVolumes }}
{{- if has .name $mounted }}{{ $volumes = append $volumes . }}{{ end }}
{{- end }}
{{- $variant := dict "container" (include "openai-proxy.proxyContainer" $ctx | fromYaml) "volumes" $volumes "annotations" (dict $annotation (include "openai-proxy.configYaml" $ctx)) }}
{{- with .secretVolume }}{{ $_ := set $variant "secretVolume" . }}{{ end }}
{{- toYaml $variant }}
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
