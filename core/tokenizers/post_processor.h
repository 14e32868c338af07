// Which special tokens go around the text: tokenizer.json's "post_processor" (HF tokenizers'
// processors/*.rs with add_special_tokens=True, single sequence) unless transformers rebuilds
// it from tokenizer_config.json, and the BOS/EOS/pad/unk ids the config names.
//
// transformers' rule (tokenization_llama_fast.py, tokenization_gemma_fast.py,
// tokenization_gpt_neox_fast.py, 4.x): the fast tokenizers of Llama, Code Llama, Gemma and
// GPT-NeoX replace the post-processor with "[bos] $A [eos]" from add_bos_token (default true,
// false for GPT-NeoX) and add_eos_token (default false). Every other class
// (PreTrainedTokenizerFast for Llama 3, Qwen2Tokenizer, GPT2Tokenizer, BertTokenizer...) keeps
// tokenizer.json's post-processor.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"
#include "core/tokenizers/hf_tokenizer.h"
#include "core/tokenizers/tokenizer_json.h"

namespace attnviz {

// Sets pipeline.prefix_ids, suffix_ids and special_ids; the model and added tokens must be
// read already (they resolve the config's token names to ids).
Status read_post_processor(const nlohmann::json& value, const TokenizerConfig& config,
                           const std::string& source, TokenizerPipeline& pipeline);

}  // namespace attnviz
