{{/*
Fallback upstreams (upstream.fallbacks) and the clients' own keys for them (clients[].fallbackKeys): where their
Secrets are mounted, what the config file says, and the guards across those values.
*/}}

{{- define "openai-proxy.fallbacksDir" -}}/var/run/secrets/openai-proxy/fallbacks{{- end }}
{{- define "openai-proxy.clientFallbacksDir" -}}/var/run/secrets/openai-proxy/client-fallbacks{{- end }}

{{/* The primary's name as the proxy labels it. */}}
{{- define "openai-proxy.primaryName" -}}
{{- .Values.upstream.name | default "primary" }}
{{- end }}

{{/* The upstream's fallback settings of the config file (a mapping to merge into upstream:), or nothing. */}}
{{- define "openai-proxy.fallbacksConfig" -}}
{{- $up := .Values.upstream }}
{{- if $up.fallbacks }}
{{- $list := list }}
{{- range $up.fallbacks }}
{{- $entry := dict "name" .name "baseUrl" .baseUrl "authHeader" (.authHeader | default $up.authHeader) }}
{{- if .existingSecret }}
{{- $_ := set $entry "apiKey" (dict "file" (printf "%s/%s/%s" (include "openai-proxy.fallbacksDir" $) .name (.keyName | default "openai-api-key"))) }}
{{- else if kindIs "map" .workloadIdentity }}
{{- $_ := set $entry "apiKey" (include "openai-proxy.workloadIdentityRef" (dict "root" $ "own" .workloadIdentity) | fromYaml) }}
{{- end }}
{{- $list = append $list $entry }}
{{- end }}
{{- toYaml (dict "fallbacks" $list "fallbackOn" $up.fallbackOn "fallbackBodyLimitBytes" ($up.fallbackBodyLimitBytes | int64)) }}
{{- end }}
{{- end }}

{{/*
A client's fallbackKeys for the config file (.client, .root): an entry of the client's own Secret (keyName), a
Secret of its own (existingSecret, keyName), or its workload identity (its own account ids over the shared ones).
*/}}
{{- define "openai-proxy.clientFallbackKeys" -}}
{{- $client := .client }}
{{- $keys := dict }}
{{- range $upstream, $ref := $client.fallbackKeys }}
{{- if kindIs "map" $ref.workloadIdentity }}
{{- $own := merge (deepCopy $ref.workloadIdentity) ($client.workloadIdentity | default dict) }}
{{- $_ := set $keys $upstream (include "openai-proxy.workloadIdentityRef" (dict "root" $.root "own" $own) | fromYaml) }}
{{- else if $ref.existingSecret }}
{{- $_ := set $keys $upstream (dict "file" (printf "%s/%s/%s/%s" (include "openai-proxy.clientFallbacksDir" $.root) $client.name $upstream ($ref.keyName | default "openai-api-key"))) }}
{{- else }}
{{- $_ := set $keys $upstream (dict "file" (printf "%s/%s/%s" (include "openai-proxy.clientsDir" $.root) $client.name $ref.keyName)) }}
{{- end }}
{{- end }}
{{- toYaml $keys }}
{{- end }}

{{/* The Secret volumes of the fallbacks and of the clients' fallback keys held in Secrets of their own: list items. */}}
{{- define "openai-proxy.fallbackVolumes" -}}
{{- range $i, $fallback := .Values.upstream.fallbacks }}
{{- if $fallback.existingSecret }}
- name: openai-proxy-fallback-{{ $i }}
  secret:
    secretName: {{ $fallback.existingSecret }}
    # 0440: root and the Pod's fsGroup (the proxy's group) only.
    defaultMode: 288
{{- end }}
{{- end }}
{{- range $i, $client := .Values.clients }}
{{- range $j, $upstream := keys ($client.fallbackKeys | default dict) | sortAlpha }}
{{- $ref := index $client.fallbackKeys $upstream }}
{{- if $ref.existingSecret }}
- name: openai-proxy-client-{{ $i }}-fallback-{{ $j }}
  secret:
    secretName: {{ $ref.existingSecret }}
    # 0440: root and the Pod's fsGroup (the proxy's group) only.
    defaultMode: 288
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Their mounts in the proxy container: list items. */}}
{{- define "openai-proxy.fallbackVolumeMounts" -}}
{{- range $i, $fallback := .Values.upstream.fallbacks }}
{{- if $fallback.existingSecret }}
- name: openai-proxy-fallback-{{ $i }}
  mountPath: {{ printf "%s/%s" (include "openai-proxy.fallbacksDir" $) $fallback.name }}
  readOnly: true
{{- end }}
{{- end }}
{{- range $i, $client := .Values.clients }}
{{- range $j, $upstream := keys ($client.fallbackKeys | default dict) | sortAlpha }}
{{- if (index $client.fallbackKeys $upstream).existingSecret }}
- name: openai-proxy-client-{{ $i }}-fallback-{{ $j }}
  mountPath: {{ printf "%s/%s/%s" (include "openai-proxy.clientFallbacksDir" $) $client.name $upstream }}
  readOnly: true
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Guards the schema cannot express: unique upstream names, a key for every fallback some caller needs, and
fallbackKeys that name a fallback and say where their key is.
*/}}
{{- define "openai-proxy.validateFallbacks" -}}
{{- $v := .Values }}
{{- $names := list (include "openai-proxy.primaryName" .) }}
{{- $keyless := $v.upstream.workloadIdentity.enabled }}
{{- /* Callers without an upstream key of their own use each fallback's key (as the proxy decides it). */}}
{{- $defaultUsed := or (ne $v.auth.clientAuth "key") $v.auth.defaultClient (not $v.clients) }}
{{- range $v.clients }}{{ if not (or (and .upstreamKeyName .existingSecret) .workloadIdentity) }}{{ $defaultUsed = true }}{{ end }}{{ end }}
{{- range $v.upstream.fallbacks }}
{{- if has .name $names }}
{{- fail (printf "upstream.fallbacks: the name %q is used by another upstream too (the primary is %q, upstream.name)" .name (first $names)) }}
{{- end }}
{{- $names = append $names .name }}
{{- if and .existingSecret (kindIs "map" .workloadIdentity) }}
{{- fail (printf "upstream.fallbacks: %q has existingSecret and workloadIdentity: its key comes from one of them, remove the other" .name) }}
{{- end }}
{{- if and (kindIs "map" .workloadIdentity) (not $keyless) }}
{{- fail (printf "upstream.fallbacks: %q has a workloadIdentity, which needs upstream.workloadIdentity.enabled (the Pod's token it exchanges)" .name) }}
{{- end }}
{{- if and $defaultUsed (not (or .existingSecret (kindIs "map" .workloadIdentity))) }}
{{- fail (printf "upstream.fallbacks: %q needs existingSecret (a Secret holding its key as %s) or workloadIdentity: callers without an upstream key of their own use it" .name (.keyName | default "openai-api-key")) }}
{{- end }}
{{- end }}
{{- $fallbacks := rest $names }}
{{- range $v.clients }}
{{- $client := . }}
{{- range $upstream, $ref := .fallbackKeys }}
{{- if not (has $upstream $fallbacks) }}
{{- fail (printf "clients: %q has fallbackKeys.%s, which names no fallback upstream (upstream.fallbacks: %s)" $client.name $upstream (join ", " $fallbacks | default "none")) }}
{{- end }}
{{- if and (kindIs "map" $ref.workloadIdentity) (or $ref.existingSecret $ref.keyName) }}
{{- fail (printf "clients: %q has fallbackKeys.%s with a workloadIdentity and a Secret's key: its key comes from one of them, remove the other" $client.name $upstream) }}
{{- end }}
{{- if and (kindIs "map" $ref.workloadIdentity) (not $keyless) }}
{{- fail (printf "clients: %q has fallbackKeys.%s.workloadIdentity, which needs upstream.workloadIdentity.enabled" $client.name $upstream) }}
{{- end }}
{{- if and $ref.keyName (not $ref.existingSecret) (not $client.existingSecret) }}
{{- fail (printf "clients: %q has fallbackKeys.%s.keyName, an entry of its own Secret, but no existingSecret: give one for the client or for this key" $client.name $upstream) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
