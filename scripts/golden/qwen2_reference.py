#!/usr/bin/env python3
"""Golden data for the dense student (test/fixtures/qwen2-tiny/): a float64 NumPy forward pass of
Hugging Face's Qwen2ForCausalLM semantics (modeling_qwen2.py: rotate-half RoPE, GQA with repeated
KV heads, q/k/v biases, RMSNorm computed in float32 upcast -> here float64, SwiGLU MLP), written
independently of the TypeScript model. Weights are float32-representable random values.

Run: python3 scripts/golden/qwen2_reference.py test/fixtures/qwen2-tiny
Writes config.json, model.safetensors (F32) and reference.safetensors (tokens I32, logits F64, loss F64),
and reference-llama3.safetensors: the same weights and tokens with Llama 3 rope scaling (LLAMA3_SCALING,
the inv_freq rescaling of transformers' llama3 rope init, written here from its definition), whose
thresholds put the 4 frequency pairs of head_dim 8 in all three regimes (kept, blended, divided).
"""
import json, struct, sys
import numpy as np

CFG = dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], vocab_size=61, hidden_size=32,
           intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
           max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False,
           hidden_act="silu", initializer_range=0.02, rope_scaling=None, torch_dtype="float32")

LLAMA3_SCALING = dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                      original_max_position_embeddings=128)


def llama3_inv_freq(inv, r):
    L, lo, hi, f = r["original_max_position_embeddings"], r["low_freq_factor"], r["high_freq_factor"], r["factor"]
    wavelen = 2 * np.pi / inv
    s = (L / wavelen - lo) / (hi - lo)
    blended = (1 - s) * inv / f + s * inv
    return np.where(wavelen < L / hi, inv, np.where(wavelen > L / lo, inv / f, blended))


def write_safetensors(path, tensors):
    header, chunks, off = {}, [], 0
    for name, (dtype, arr) in tensors.items():
        b = arr.tobytes()
        header[name] = dict(dtype=dtype, shape=list(arr.shape), data_offsets=[off, off + len(b)])
        chunks.append(b); off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for c in chunks: f.write(c)


def main(out):
    rng = np.random.default_rng(20261129)
    c = CFG; D, H, Hk, I, V = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["intermediate_size"], c["vocab_size"]
    hd = D // H
    W = {}
    def rnd(name, *shape, std=0.2):
        W[name] = rng.normal(0, std, shape).astype(np.float32)
    rnd("model.embed_tokens.weight", V, D, std=1.0)
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}"
        W[f"{p}.input_layernorm.weight"] = (1 + rng.normal(0, 0.1, D)).astype(np.float32)
        rnd(f"{p}.self_attn.q_proj.weight", H * hd, D); rnd(f"{p}.self_attn.q_proj.bias", H * hd)
        rnd(f"{p}.self_attn.k_proj.weight", Hk * hd, D); rnd(f"{p}.self_attn.k_proj.bias", Hk * hd)
        rnd(f"{p}.self_attn.v_proj.weight", Hk * hd, D); rnd(f"{p}.self_attn.v_proj.bias", Hk * hd)
        rnd(f"{p}.self_attn.o_proj.weight", D, H * hd)
        W[f"{p}.post_attention_layernorm.weight"] = (1 + rng.normal(0, 0.1, D)).astype(np.float32)
        rnd(f"{p}.mlp.gate_proj.weight", I, D); rnd(f"{p}.mlp.up_proj.weight", I, D); rnd(f"{p}.mlp.down_proj.weight", D, I)
    W["model.norm.weight"] = (1 + rng.normal(0, 0.1, D)).astype(np.float32)
    rnd("lm_head.weight", V, D)
    B, T = 2, 9
    tokens = rng.integers(0, V, (B, T)).astype(np.int32)

    w = {k: v.astype(np.float64) for k, v in W.items()}
    def rms(x, g): return x / np.sqrt((x * x).mean(-1, keepdims=True) + c["rms_norm_eps"]) * g
    base_inv = 1.0 / (c["rope_theta"] ** (np.arange(0, hd, 2) / hd))
    def forward(inv):
      ang = np.outer(np.arange(T), inv); emb = np.concatenate([ang, ang], -1)
      cos, sin = np.cos(emb), np.sin(emb)
      def rot_half(x): return np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], -1)
      def rope(x): return x * cos + rot_half(x) * sin
      h = w["model.embed_tokens.weight"][tokens]
      mask = np.triu(np.full((T, T), -np.inf), 1)
      for l in range(c["num_hidden_layers"]):
          p = f"model.layers.{l}"
          x = rms(h, w[f"{p}.input_layernorm.weight"])
          def proj(n, heads):
              y = x @ w[f"{p}.self_attn.{n}.weight"].T + w[f"{p}.self_attn.{n}.bias"]
              return y.reshape(B, T, heads, hd).transpose(0, 2, 1, 3)
          q, k, v = rope(proj("q_proj", H)), rope(proj("k_proj", Hk)), proj("v_proj", Hk)
          k, v = np.repeat(k, H // Hk, axis=1), np.repeat(v, H // Hk, axis=1)
          s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd) + mask
          s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
          a = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, H * hd)
          h = h + a @ w[f"{p}.self_attn.o_proj.weight"].T
          y = rms(h, w[f"{p}.post_attention_layernorm.weight"])
          g = y @ w[f"{p}.mlp.gate_proj.weight"].T
          h = h + ((g / (1 + np.exp(-g))) * (y @ w[f"{p}.mlp.up_proj.weight"].T)) @ w[f"{p}.mlp.down_proj.weight"].T
      logits = rms(h, w["model.norm.weight"]) @ w["lm_head.weight"].T
      lp = logits[:, :-1] - np.log(np.exp(logits[:, :-1] - logits[:, :-1].max(-1, keepdims=True)).sum(-1, keepdims=True)) - logits[:, :-1].max(-1, keepdims=True)
      loss = -np.take_along_axis(lp, tokens[:, 1:, None].astype(np.int64), -1).mean()
      return logits, loss
    logits, loss = forward(base_inv)
    logits3, loss3 = forward(llama3_inv_freq(base_inv, LLAMA3_SCALING))

    with open(f"{out}/config.json", "w") as f: json.dump(CFG, f, indent=2)
    write_safetensors(f"{out}/model.safetensors", {k: ("F32", v) for k, v in W.items()})
    write_safetensors(f"{out}/reference.safetensors", {"tokens": ("I32", tokens), "logits": ("F64", logits), "loss": ("F64", np.array([loss]))})
    write_safetensors(f"{out}/reference-llama3.safetensors", {"tokens": ("I32", tokens), "logits": ("F64", logits3), "loss": ("F64", np.array([loss3]))})


if __name__ == "__main__":
    main(sys.argv[1])
