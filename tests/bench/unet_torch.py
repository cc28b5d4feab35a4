"""The DDIM reference U-Net in PyTorch (ermongroup/ddim models/diffusion.py, as the OCD
authors use it), written to match src/engine/models/unet.c: used by tests/ref/make_unet_ref.py
(reference outputs for the unit test) and tests/bench/unet_peer.py (the GPU benchmark peer).

Differences from the DDIM file, none of which change the function: q, k, v are one Linear
(3C) instead of three 1x1 convolutions (the same maps), named qkv/proj_out to match our
parameter names; GroupNorm uses min(32, C/4) groups (at least 1, dividing C): DDIM's 32 at its
widths (128 channels and up), and groups of about 4 channels in narrow CPU networks, where
one channel per group would erase the per-channel timestep and conditioning shift."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def gn_groups(c):
    g = max(1, min(32, c // 4))
    while c % g:
        g -= 1
    return g


def timestep_embedding(t, dim):
    half = dim // 2
    emb = math.log(10000) / (half - 1)
    emb = torch.exp(torch.arange(half, dtype=t.dtype, device=t.device) * -emb)
    emb = t[:, None] * emb[None, :]
    e = torch.cat([torch.sin(emb), torch.cos(emb)], dim=1)
    if dim % 2 == 1:
        e = F.pad(e, (0, 1))
    return e


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout, temb, dropout, eps):
        super().__init__()
        self.cin, self.cout = cin, cout
        self.norm1 = nn.GroupNorm(gn_groups(cin), cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.temb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(gn_groups(cout), cout, eps=eps)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        if cin != cout:
            self.nin_shortcut = nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x, temb_act):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb_proj(temb_act)[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        if self.cin != self.cout:
            x = self.nin_shortcut(x)
        return x + h


class AttnBlock(nn.Module):
    def __init__(self, c, eps):
        super().__init__()
        self.norm = nn.GroupNorm(gn_groups(c), c, eps=eps)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj_out = nn.Linear(c, c)

    def forward(self, x):
        B, C, H, W = x.shape
        h = self.norm(x).permute(0, 2, 3, 1).reshape(B, H * W, C)
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        w = torch.softmax(torch.bmm(q, k.transpose(1, 2)) * (C ** -0.5), dim=-1)
        h = self.proj_out(torch.bmm(w, v))
        return x + h.reshape(B, H, W, C).permute(0, 3, 1, 2)


class UNet(nn.Module):
    def __init__(self, in_ch=1, out_ch=1, ch=128, ch_mult=(1, 1, 2, 2, 4, 4), num_res_blocks=2, attn_res=(16,),
                 resolution=128, mid_attn=1, dropout=0.1, eps=1e-6):
        super().__init__()
        self.ch, self.nlev, self.nb = ch, len(ch_mult), num_res_blocks
        T = 4 * ch
        self.temb = nn.Module()
        self.temb.dense = nn.ModuleList([nn.Linear(ch, T), nn.Linear(T, T)])
        self.conv_in = nn.Conv2d(in_ch, ch, 3, 1, 1)
        res, in_mult = resolution, (1,) + tuple(ch_mult)
        self.down = nn.ModuleList()
        block_in = ch
        for l in range(self.nlev):
            d = nn.Module()
            d.block, d.attn = nn.ModuleList(), nn.ModuleList()
            block_out = ch * ch_mult[l]
            for _ in range(num_res_blocks):
                d.block.append(ResnetBlock(block_in, block_out, T, dropout, eps))
                block_in = block_out
                if res in attn_res:
                    d.attn.append(AttnBlock(block_in, eps))
            if l != self.nlev - 1:
                d.downsample = nn.Module()
                d.downsample.conv = nn.Conv2d(block_in, block_in, 3, 2, 0)
                res //= 2
            self.down.append(d)
        self.mid = nn.Module()
        self.mid.block_1 = ResnetBlock(block_in, block_in, T, dropout, eps)
        self.mid_attn = nn.ModuleList([AttnBlock(block_in, eps) for _ in range(mid_attn)])
        self.mid.block_2 = ResnetBlock(block_in, block_in, T, dropout, eps)
        self.up = nn.ModuleList()
        for l in reversed(range(self.nlev)):
            u = nn.Module()
            u.block, u.attn = nn.ModuleList(), nn.ModuleList()
            block_out, skip_in = ch * ch_mult[l], ch * ch_mult[l]
            for b in range(num_res_blocks + 1):
                if b == num_res_blocks:
                    skip_in = ch * in_mult[l]
                u.block.append(ResnetBlock(block_in + skip_in, block_out, T, dropout, eps))
                block_in = block_out
                if res in attn_res:
                    u.attn.append(AttnBlock(block_in, eps))
            if l != 0:
                u.upsample = nn.Module()
                u.upsample.conv = nn.Conv2d(block_in, block_in, 3, 1, 1)
                res *= 2
            self.up.insert(0, u)
        self.norm_out = nn.GroupNorm(gn_groups(block_in), block_in, eps=eps)
        self.conv_out = nn.Conv2d(block_in, out_ch, 3, 1, 1)

    def forward(self, x, t, cond=None):
        temb = self.temb.dense[1](F.silu(self.temb.dense[0](timestep_embedding(t, self.ch))))
        if cond is not None:
            temb = temb + cond
        ta = F.silu(temb)
        hs = [self.conv_in(x)]
        for l in range(self.nlev):
            for b in range(self.nb):
                h = self.down[l].block[b](hs[-1], ta)
                if len(self.down[l].attn) > 0:
                    h = self.down[l].attn[b](h)
                hs.append(h)
            if l != self.nlev - 1:
                hs.append(self.down[l].downsample.conv(F.pad(hs[-1], (0, 1, 0, 1))))
        h = self.mid.block_1(hs[-1], ta)
        for a in self.mid_attn:
            h = a(h)
        h = self.mid.block_2(h, ta)
        for l in reversed(range(self.nlev)):
            for b in range(self.nb + 1):
                h = self.up[l].block[b](torch.cat([h, hs.pop()], dim=1), ta)
                if len(self.up[l].attn) > 0:
                    h = self.up[l].attn[b](h)
            if l != 0:
                h = self.up[l].upsample.conv(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))

    def engine_state(self):
        """Parameters under the C engine's names (mid_attn.0 -> mid.attn_1)."""
        out = {}
        for k, v in self.state_dict().items():
            if k.startswith("mid_attn."):
                i, rest = k[len("mid_attn."):].split(".", 1)
                k = f"mid.attn_{int(i) + 1}.{rest}"
            out[k] = v
        return out
