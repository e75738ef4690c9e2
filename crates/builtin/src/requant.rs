//! One-time re-encoding of slow GGUF tensor formats to Q8_0.
//!
//! candle 0.11 has fast CPU kernels for Q4_0, Q8_0 and the K-quants but not for Q4_1, Q5_0
//! and Q5_1, which the SmolLM2, Qwen and Gemma files use heavily (llama.cpp falls back to
//! them for rows that are not a multiple of 256). Re-encoding those tensors to Q8_0 costs a
//! few seconds once and made decoding about 4× faster. Q8_0 has more precision than the
//! source formats, so the dequantized weights stay within Q8_0 rounding of the originals.
//!
//! The output is deterministic — tensors in their original file order, metadata sorted by key
//! — so its SHA-256 is pinned in the catalog like a download's.

use std::path::Path;

use candle_core::Device;
use candle_core::quantized::{GgmlDType, QTensor, gguf_file};

use crate::error::BuiltinError;
use crate::store::sha256_file;

/// Formats that candle runs slowly on the CPU and that are re-encoded.
fn is_slow(dtype: GgmlDType) -> bool {
    matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1)
}

/// Re-encode `src` into `dest` (atomically) and check the result against `sha256`.
pub fn requantize(src: &Path, dest: &Path, sha256: &str) -> Result<(), BuiltinError> {
    let name = src
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("gguf")
        .to_string();
    let model_err = BuiltinError::model;
    let mut reader = std::io::BufReader::new(
        std::fs::File::open(src).map_err(BuiltinError::io("cannot open", src))?,
    );
    let content = gguf_file::Content::read(&mut reader).map_err(model_err(&name))?;
    let mut infos: Vec<(&String, &gguf_file::TensorInfo)> = content.tensor_infos.iter().collect();
    infos.sort_by_key(|(_, info)| info.offset);
    let cpu = Device::Cpu;
    let mut tensors: Vec<(&str, QTensor)> = Vec::with_capacity(infos.len());
    for (tensor_name, info) in infos {
        let qt = info
            .read(&mut reader, content.tensor_data_offset, &cpu)
            .map_err(model_err(&name))?;
        let qt = if is_slow(qt.dtype()) {
            let dense = qt.dequantize(&cpu).map_err(model_err(&name))?;
            QTensor::quantize(&dense, GgmlDType::Q8_0).map_err(model_err(&name))?
        } else {
            qt
        };
        tensors.push((tensor_name.as_str(), qt));
    }
    // `gguf_file::write` aligns tensor data to 32 bytes, the GGUF default; drop any other value.
    let mut metadata: Vec<(&str, &gguf_file::Value)> = content
        .metadata
        .iter()
        .filter(|(k, _)| k.as_str() != "general.alignment")
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    metadata.sort_by(|a, b| a.0.cmp(b.0));
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (*n, t)).collect();

    let dir = dest.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".convert-")
        .tempfile_in(dir)
        .map_err(BuiltinError::io("cannot create a temporary file in", dir))?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file());
        gguf_file::write(&mut w, &metadata, &refs).map_err(model_err(&name))?;
        std::io::Write::flush(&mut w).map_err(BuiltinError::io("cannot write", tmp.path()))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(BuiltinError::io("cannot sync", tmp.path()))?;
    crate::fetch::make_readable(tmp.path())?;
    let actual = sha256_file(tmp.path())?;
    if actual != sha256 {
        return Err(BuiltinError::HashMismatch {
            file: dest.display().to_string(),
            expected: sha256.into(),
            actual,
        });
    }
    tmp.persist(dest).map_err(|e| BuiltinError::Io {
        action: "cannot move the converted model to",
        path: dest.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Tensor;

    /// A GGUF with one Q4_1 tensor and one F32 tensor.
    fn tiny_gguf(path: &Path) -> Tensor {
        let cpu = Device::Cpu;
        let values: Vec<f32> = (0..256)
            .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let dense = Tensor::from_vec(values, (4, 64), &cpu).unwrap();
        let q41 = QTensor::quantize(&dense, GgmlDType::Q4_1).unwrap();
        let norm = QTensor::quantize(&Tensor::ones(64, DType::F32, &cpu).unwrap(), GgmlDType::F32)
            .unwrap();
        let arch = gguf_file::Value::String("llama".into());
        let align = gguf_file::Value::U32(32);
        let mut f = std::fs::File::create(path).unwrap();
        gguf_file::write(
            &mut f,
            &[
                ("general.architecture", &arch),
                ("general.alignment", &align),
            ],
            &[("blk.0.ffn_up.weight", &q41), ("output_norm.weight", &norm)],
        )
        .unwrap();
        q41.dequantize(&cpu).unwrap()
    }

    fn actual_hash(src: &Path, dest: &Path) -> String {
        match requantize(src, dest, "unknown") {
            Err(BuiltinError::HashMismatch { actual, .. }) => actual,
            other => panic!("expected a hash mismatch, got {other:?}"),
        }
    }

    use candle_core::DType;

    #[test]
    fn slow_tensors_become_q8_0_deterministically_and_keep_their_values() {
        let tmp = tempfile::tempdir().unwrap();
        let (src, dest) = (tmp.path().join("in.gguf"), tmp.path().join("out.gguf"));
        let original = tiny_gguf(&src);
        let hash = actual_hash(&src, &dest);
        assert_eq!(
            hash,
            actual_hash(&src, &dest),
            "conversion must be deterministic"
        );
        assert!(!dest.exists(), "a mismatching conversion is not installed");
        requantize(&src, &dest, &hash).unwrap();

        let mut f = std::fs::File::open(&dest).unwrap();
        let ct = gguf_file::Content::read(&mut f).unwrap();
        assert!(!ct.metadata.contains_key("general.alignment"));
        let up = ct
            .tensor(&mut f, "blk.0.ffn_up.weight", &Device::Cpu)
            .unwrap();
        assert_eq!(up.dtype(), GgmlDType::Q8_0);
        let norm = ct
            .tensor(&mut f, "output_norm.weight", &Device::Cpu)
            .unwrap();
        assert_eq!(
            norm.dtype(),
            GgmlDType::F32,
            "other formats are copied as they are"
        );
        let diff = (up.dequantize(&Device::Cpu).unwrap() - original).unwrap();
        let max = diff
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(
            max < 1e-2,
            "Q8_0 must stay within its rounding of the Q4_1 values: {max}"
        );
    }
}
