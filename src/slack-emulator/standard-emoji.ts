/**
 * Emoji names the emulator knows, for reactions.add: Slack refuses a name it does not know with
 * `invalid_name`, so a misspelled reaction fails here as it would in Slack. A common part of Slack's
 * standard set (the product's fate reactions included); a workspace adds its own custom emoji.
 */

/** Slack's standard emoji names (a common subset), aliases included. */
export const STANDARD_EMOJI: ReadonlySet<string> = new Set(
  `
  eyes hourglass hourglass_flowing_sand twisted_rightwards_arrows black_square_for_stop white_check_mark x
  heavy_check_mark ballot_box_with_check heavy_multiplication_x negative_squared_cross_mark no_entry
  no_entry_sign warning exclamation question grey_exclamation grey_question bangbang interrobang
  +1 thumbsup -1 thumbsdown ok_hand clap wave raised_hands pray muscle point_up point_down point_left
  point_right v crossed_fingers handshake raised_hand writing_hand
  smile smiley grinning grin laughing joy rolling_on_the_floor_laughing slightly_smiling_face
  upside_down_face wink blush innocent heart_eyes kissing_heart relaxed yum stuck_out_tongue
  stuck_out_tongue_winking_eye sunglasses nerd_face thinking_face face_with_monocle neutral_face
  expressionless no_mouth smirk unamused face_with_rolling_eyes grimacing relieved pensive sleepy
  sleeping mask face_with_thermometer dizzy_face exploding_head cowboy_hat_face partying_face
  confused worried slightly_frowning_face white_frowning_face open_mouth hushed astonished flushed
  pleading_face fearful cold_sweat disappointed_relieved cry sob scream confounded persevere
  disappointed sweat weary tired_face yawning_face triumph rage angry skull skull_and_crossbones
  poop hankey clown_face ghost alien robot_face robot smiley_cat see_no_evil hear_no_evil speak_no_evil
  heart orange_heart yellow_heart green_heart blue_heart purple_heart black_heart white_heart
  broken_heart two_hearts sparkling_heart heartpulse heartbeat 100 anger boom collision dizzy sweat_drops
  dash zzz speech_balloon thought_balloon left_speech_bubble
  fire sparkles star star2 zap sunny sun_with_face cloud rain_cloud
  snowflake rainbow ocean droplet umbrella tada confetti_ball balloon gift trophy medal
  sports_medal first_place_medal second_place_medal third_place_medal crown gem
  rocket airplane car bus ship anchor construction rotating_light stop_sign checkered_flag
  triangular_flag_on_post white_flag black_flag
  bulb flashlight candle books book memo pencil pencil2 pen lower_left_ballpoint_pen
  paperclip pushpin round_pushpin scissors card_index file_folder open_file_folder page_facing_up
  page_with_curl clipboard calendar date spiral_calendar_pad chart_with_upwards_trend
  chart_with_downwards_trend bar_chart lock unlock key old_key hammer wrench gear nut_and_bolt
  hammer_and_wrench tools link chains toolbox magnet test_tube microscope telescope satellite
  computer desktop_computer keyboard printer iphone phone telephone_receiver email envelope
  incoming_envelope inbox_tray outbox_tray package mailbox bell no_bell loudspeaker mega
  mag mag_right stopwatch timer_clock alarm_clock clock1 clock2 clock3 watch
  moneybag dollar money_with_wings credit_card receipt shopping_trolley
  coffee tea beer beers wine_glass cocktail pizza hamburger cake birthday cookie doughnut apple
  taco burrito popcorn bread cheese_wedge egg avocado banana cherries strawberry lemon
  dog cat mouse rabbit fox_face bear panda_face koala tiger lion_face cow pig frog monkey_face
  chicken penguin bird owl turtle snake octopus fish whale dolphin bug bee ant butterfly snail
  unicorn_face dragon dragon_face cactus evergreen_tree deciduous_tree palm_tree seedling herb
  four_leaf_clover maple_leaf fallen_leaf leaves mushroom rose tulip sunflower blossom cherry_blossom
  earth_africa earth_americas earth_asia globe_with_meridians world_map mountain volcano
  house house_with_garden office school hospital bank hotel church classical_building
  arrow_up arrow_down arrow_left arrow_right arrow_forward arrow_backward arrows_counterclockwise
  arrows_clockwise repeat repeat_one rewind fast_forward double_vertical_bar
  black_right_pointing_double_triangle_with_vertical_bar black_circle_for_record eject
  heavy_plus_sign heavy_minus_sign heavy_division_sign heavy_dollar_sign infinity recycle
  white_circle black_circle red_circle large_blue_circle large_green_circle large_yellow_circle
  large_orange_circle large_purple_circle white_large_square black_large_square small_red_triangle
  small_red_triangle_down large_orange_diamond large_blue_diamond radio_button
  new free up cool ok sos id vs abc abcd ng top soon back end on information_source
  one two three four five six seven eight nine keycap_ten zero hash asterisk
  speaking_head_in_silhouette bust_in_silhouette busts_in_silhouette
  man woman person_frowning raising_hand ok_woman no_good shrug man-shrugging woman-shrugging
  facepalm man-facepalming woman-facepalming runner walking dancer
  lock_with_ink_pen closed_lock_with_key shield crossed_swords dagger_knife bow_and_arrow
  label bookmark bookmark_tabs ticket admission_tickets art performing_arts video_game
  game_die jigsaw dart bowling soccer basketball football tennis golf ski
  `
    .split(/\s+/)
    .filter(Boolean),
);

/** Slack's skin-tone variants (`thumbsup::skin-tone-3`) react with the base emoji. */
const SKIN_TONE = /::skin-tone-[2-6]$/;

/** Whether `name` (without colons) is an emoji Slack knows in this workspace. */
export function isKnownEmoji(name: string, customEmoji: ReadonlySet<string>): boolean {
  const base = name.replace(SKIN_TONE, "");
  return STANDARD_EMOJI.has(base) || customEmoji.has(base);
}
